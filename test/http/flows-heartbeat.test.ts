import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { defineMonitor } from "../../src/monitors/define-monitor.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { call, startHttp } from "../helpers/http.ts";
import { waitFor } from "../helpers/wait-for.ts";

const T = Date.UTC(2030, 0, 1, 12, 0, 0);

describe("POST /heartbeat and the flows API", () => {
  it("triggers due flows, skips not-due, disabled and running ones, and never double-triggers under concurrency", async () => {
    const clock = new FakeClock(T);
    let release: () => void = () => {};
    const slow = defineFlow({
      name: "slow-due",
      schedule: "5m",
      run: () => new Promise<void>((r) => (release = r)),
    });
    const quick = defineFlow({ name: "quick-due", schedule: "5m", run: async () => {} });
    const later = defineFlow({ name: "hourly", schedule: "0 * * * *", run: async () => {} });
    const manual = defineFlow({ name: "manual-only", run: async () => {} });
    const off = defineFlow({ name: "switched-off", schedule: "5m", run: async () => {} });
    // The internal scheduler is off: it would fire the same periods within a second of the clock
    // moving, and which driver came first was a race this test used to lose now and then.
    const s = await startHttp(
      {},
      {
        tickflow: { clock, flows: [slow, quick, later, manual, off] },
        start: { scheduler: false, syncSchedules: true },
      },
    );
    try {
      await s.tickflow.flows.disable("switched-off");
      assert.equal((await call(s.port, "POST", "/heartbeat", { token: null })).status, 401);
      clock.set(T + 5 * 60_000 + 1); // the 5-minute flows are due; the hourly one is not
      const [a, b] = await Promise.all([
        call(s.port, "POST", "/heartbeat"),
        call(s.port, "POST", "/heartbeat"),
      ]);
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      const answers = [a.json(), b.json()];
      const triggered = answers.flatMap((x) => x.triggered.map((t: { flow: string }) => t.flow)).sort();
      assert.deepEqual(triggered, ["quick-due", "slow-due"], "each due flow triggered exactly once");
      const periods = answers.flatMap((x) => x.triggered.map((t: { period: string }) => t.period));
      assert.deepEqual(periods, [
        new Date(T + 5 * 60_000).toISOString(),
        new Date(T + 5 * 60_000).toISOString(),
      ]);
      const skips = new Map<string, string>(
        answers[0].skipped.map((x: { flow: string; reason: string }) => [x.flow, x.reason]),
      );
      assert.equal(skips.get("hourly"), "not_due");
      assert.equal(skips.get("manual-only"), "no_schedule");
      assert.equal(skips.get("switched-off"), "disabled");
      // While slow-due runs, a call after its next tick skips it as already running.
      await waitFor(
        async () => (await s.tickflow.flows.get("slow-due"))?.activeRun?.status === "in_progress",
        "slow run",
      );
      clock.set(T + 10 * 60_000 + 1);
      const third = (await call(s.port, "POST", "/heartbeat")).json();
      assert.deepEqual(
        third.skipped.find((x: { flow: string }) => x.flow === "slow-due"),
        { flow: "slow-due", reason: "already_running" },
      );
      release();
    } finally {
      release();
      await s.close();
    }
  });

  it("a period the internal scheduler already fired is skipped as period_taken: one run per period", async () => {
    const clock = new FakeClock(T);
    const flow = defineFlow({ name: "both-drivers", schedule: "5m", run: async () => {} });
    // No workers: the scheduler's job waits, so the flow's last run says nothing yet and only the
    // shared (flow, period) tick can tell the heartbeat that this period is taken.
    const s = await startHttp({}, { tickflow: { clock, flows: [flow] }, start: { worker: false } });
    try {
      clock.set(T + 5 * 60_000 + 1);
      await waitFor(
        async () => (await s.tickflow.queries.listTicks("both-drivers", { limit: 5 })).length === 1,
        "the scheduler's tick",
      );
      const answer = (await call(s.port, "POST", "/heartbeat")).json();
      assert.deepEqual(answer, {
        triggered: [],
        skipped: [{ flow: "both-drivers", reason: "period_taken" }],
      });
      assert.deepEqual(
        await s.tickflow.flows.runs({ flow: "both-drivers" }),
        [],
        "the heartbeat added no run",
      );
      const jobs = await s.tickflow.queries.listJobs({ type: "tickflow.flow-run", limit: 10 });
      assert.equal(jobs.length, 1, "one flow-run job for the period: the scheduler's");
    } finally {
      await s.close();
    }
  });

  it("a heartbeatOnly flow is never fired by the internal scheduler; a heartbeat runs it once per period", async () => {
    const clock = new FakeClock(T);
    const flow = defineFlow({
      name: "external-only",
      schedule: "1m",
      heartbeatOnly: true,
      run: async () => {},
    });
    const s = await startHttp({}, { tickflow: { clock, flows: [flow] } });
    try {
      assert.equal(await s.tickflow.queries.getSchedule("external-only"), null, "no stored schedule");
      clock.set(T + 60_000 + 1);
      await new Promise((r) => setTimeout(r, 1_500)); // longer than the scheduler's longest sleep
      assert.deepEqual(await s.tickflow.flows.runs({ flow: "external-only" }), []);
      const first = (await call(s.port, "POST", "/heartbeat")).json();
      assert.equal(first.triggered[0]?.flow, "external-only");
      assert.equal(first.triggered[0]?.period, new Date(T + 60_000).toISOString());
      await waitFor(
        async () => (await s.tickflow.flows.get("external-only"))?.lastRunStatus === "success",
        "run end",
      );
      clock.set(T + 90_000);
      const again = (await call(s.port, "POST", "/heartbeat")).json();
      assert.deepEqual(again.skipped, [{ flow: "external-only", reason: "not_due" }]);
      clock.set(T + 120_000 + 5);
      const next = (await call(s.port, "POST", "/heartbeat")).json();
      assert.equal(next.triggered[0]?.period, new Date(T + 120_000).toISOString());
    } finally {
      await s.close();
    }
  });

  it("heartbeatOnly without a schedule is refused when the flow is defined", () => {
    assert.throws(
      () => defineFlow({ name: "nothing-to-evaluate", heartbeatOnly: true, run: async () => {} }),
      /flow "nothing-to-evaluate": heartbeatOnly needs a schedule/,
    );
  });

  it("lists, shows, triggers, enables and disables flows and pages through runs", async () => {
    let fail = false;
    const flow = defineFlow({
      name: "api-flow",
      retries: 0,
      run: async () => {
        if (fail) throw new Error("flow broke");
      },
    });
    const s = await startHttp({}, { tickflow: { flows: [flow] } });
    try {
      for (let i = 0; i < 3; i++) {
        if (i === 2) fail = true;
        const reply = await call(s.port, "POST", "/api/v1/flows/api-flow/trigger");
        assert.equal(reply.status, 202);
        const { runId } = reply.json();
        await waitFor(
          async () => ["success", "failed"].includes((await s.tickflow.flows.run(runId))?.status ?? ""),
          "run end",
        );
      }
      const list = (await call(s.port, "GET", "/api/v1/flows")).json().flows;
      assert.equal(list[0].name, "api-flow");
      assert.equal(list[0].lastRunStatus, "failed");
      const shown = (await call(s.port, "GET", "/api/v1/flows/api-flow")).json();
      assert.equal(shown.recentRuns.length, 3);
      assert.equal(shown.recentRuns[0].errorMessage, "flow broke");
      assert.match(shown.recentRuns[0].errorStack, /flow broke/);
      const page1 = (await call(s.port, "GET", "/api/v1/runs?flow=api-flow&limit=2")).json();
      assert.equal(page1.runs.length, 2);
      const page2 = (
        await call(s.port, "GET", `/api/v1/runs?flow=api-flow&limit=2&cursor=${page1.nextCursor}`)
      ).json();
      assert.equal(page2.runs.length, 1);
      assert.equal(page2.nextCursor, null);
      const failed = (await call(s.port, "GET", "/api/v1/runs?status=failed")).json().runs;
      assert.equal(failed.length, 1);
      assert.equal((await call(s.port, "GET", `/api/v1/runs/${failed[0].id}`)).json().run.status, "failed");
      assert.equal((await call(s.port, "GET", "/api/v1/runs?status=exploded")).status, 400);
      assert.match(
        (await call(s.port, "GET", "/api/v1/runs?since=noon")).json().error.message,
        /query since/,
      );
      assert.equal((await call(s.port, "POST", "/api/v1/flows/api-flow/disable")).json().flow.enabled, false);
      const refused = await call(s.port, "POST", "/api/v1/flows/api-flow/trigger");
      assert.equal(refused.status, 409);
      assert.equal(refused.json().error.code, "FLOW_DISABLED");
      assert.equal((await call(s.port, "POST", "/api/v1/flows/api-flow/enable")).json().flow.enabled, true);
      assert.equal((await call(s.port, "POST", "/api/v1/flows/nope/trigger")).status, 404);
    } finally {
      await s.close();
    }
  });

  it("shows monitors over the API, in /health and in /metrics", async () => {
    const upstream: Server = createServer((_req, res) => res.writeHead(200).end("ok"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/`;
    const monitor = defineMonitor({
      name: "upstream",
      url,
      interval: "200ms",
      timeout: "100ms",
      riseAfter: 2,
    });
    const s = await startHttp({}, { tickflow: { monitors: [monitor] } });
    try {
      await waitFor(
        async () => (await s.tickflow.monitors.get("upstream"))?.state === "ONLINE",
        "ONLINE",
        10_000,
      );
      const list = (await call(s.port, "GET", "/api/v1/monitors")).json().monitors;
      assert.equal(list[0].state, "ONLINE");
      const one = (await call(s.port, "GET", "/api/v1/monitors/upstream")).json();
      assert.equal(one.transitions[0].to, "ONLINE");
      const health = (await call(s.port, "GET", "/health")).json();
      assert.equal(health.components.monitors.states.upstream, "ONLINE");
      const metrics = (await call(s.port, "GET", "/metrics")).text;
      assert.match(metrics, /tickflow_monitor_state\{monitor="upstream",tickflow_monitor_state="ONLINE"\} 1/);
      assert.match(
        metrics,
        /tickflow_monitor_state\{monitor="upstream",tickflow_monitor_state="OFFLINE"\} 0/,
      );
    } finally {
      await s.close();
      upstream.close();
    }
  });
});
