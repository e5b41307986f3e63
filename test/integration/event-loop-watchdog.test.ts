import assert from "node:assert/strict";
import { describe, it } from "node:test";
import parsePrometheus from "parse-prometheus-text-format";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, startHttp } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** A CPU-bound handler: blocks the event loop for `ms` without awaiting. */
const crunch = defineJob<{ ms: number }>("reports.crunch", (payload) => {
  const until = performance.now() + payload.ms;
  while (performance.now() < until) {
    // busy: no timer, lease renewal or other job runs meanwhile
  }
});

describe("event-loop watchdog", () => {
  it("a handler that blocks the loop for 3 s is reported: metric, a log naming its job type, health degraded", async () => {
    // A 2 s threshold: the 3 s block is a stall, a start-up hiccup on a loaded machine is not.
    const s = await startHttp(
      {},
      { jobs: asJobs(crunch), tickflow: { startupGraceMs: 0, stallThresholdMs: 2_000 } },
    );
    try {
      const before = await call(s.port, "GET", "/health");
      assert.equal(before.status, 200, before.text);
      assert.equal(before.json().components.eventLoop.status, "ok");

      const id = await s.tickflow.enqueue(crunch, { ms: 3_000 });
      await waitFor(async () => (await s.tickflow.getJob(id))?.state === "succeeded", "the crunch", 15_000);
      await waitFor(() => s.tickflow.liveness.eventLoop()?.stalls, "the stall reported", 2_000);

      const line = s.logs.map((l) => JSON.parse(l)).find((l) => /event loop blocked/.test(l.msg));
      assert.ok(line, "a log line about the stall");
      assert.deepEqual(line.jobTypes, ["reports.crunch"]);
      assert.match(line.msg, /job types running: reports\.crunch/);
      assert.ok(line.blockedMs >= 2_500, `blocked ${line.blockedMs} ms`);

      const health = await call(s.port, "GET", "/health");
      assert.equal(health.status, 503, "degraded health is not ready");
      assert.equal(health.json().components.eventLoop.status, "degraded");
      assert.deepEqual(health.json().components.eventLoop.lastStall.jobTypes, ["reports.crunch"]);
      assert.equal((await call(s.port, "GET", "/health/live")).status, 200, "still live");

      const metrics = parsePrometheus((await call(s.port, "GET", "/metrics")).text);
      const byName = new Map(metrics.map((f) => [f.name, f]));
      assert.ok(Number(byName.get("tickflow_event_loop_stalls_total")?.metrics[0]?.value) >= 1);
      const states = byName.get("tickflow_event_loop_health")?.metrics ?? [];
      assert.deepEqual(
        states.filter((m) => m.value === "1").map((m) => m.labels?.tickflow_event_loop_health),
        ["degraded"],
      );
      const max = byName
        .get("tickflow_event_loop_delay_seconds")
        ?.metrics.find((m) => m.labels?.quantile === "1")?.value;
      assert.ok(Number(max) >= 2.5, `max delay ${max} s`);
    } finally {
      await s.close();
    }
  });

  it("a short pause below the threshold is not a stall", async () => {
    const s = await startHttp({}, { jobs: asJobs(crunch), tickflow: { startupGraceMs: 0 } });
    try {
      const id = await s.tickflow.enqueue(crunch, { ms: 300 });
      await waitFor(async () => (await s.tickflow.getJob(id))?.state === "succeeded", "the crunch", 10_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(s.tickflow.liveness.eventLoop()?.stalls, 0);
      assert.equal((await call(s.port, "GET", "/health")).json().components.eventLoop.status, "ok");
    } finally {
      await s.close();
    }
  });
});
