import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import parsePrometheus from "parse-prometheus-text-format";
import { defineJob } from "../../src/runtime/registry.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { call, startHttp } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

const work = defineJob("api.work", async () => {});
const broken = defineJob(
  "api.broken",
  async () => {
    throw new Error("nope");
  },
  { maxAttempts: 1 },
);

describe("REST API, /health and /metrics", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    s = await startHttp({}, { jobs: asJobs(work, broken) });
    s.tickflow.defineSchedule({ key: "api-sched", job: work, every: "1h" });
    await s.tickflow.syncSchedules();
  });
  after(() => s.close());

  it("lists jobs with filters and cursor pagination, and shows one with its attempts", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await s.tickflow.enqueue(work, { i }, { delay: "1h", queue: "later" }));
    const first = (await call(s.port, "GET", "/api/v1/jobs?queue=later&limit=2")).json();
    assert.deepEqual(
      first.jobs.map((j: { id: string }) => j.id),
      [ids[4], ids[3]],
    );
    const second = (
      await call(s.port, "GET", `/api/v1/jobs?queue=later&limit=2&cursor=${first.nextCursor}`)
    ).json();
    assert.deepEqual(
      second.jobs.map((j: { id: string }) => j.id),
      [ids[2], ids[1]],
    );
    const last = (
      await call(s.port, "GET", `/api/v1/jobs?queue=later&limit=2&cursor=${second.nextCursor}`)
    ).json();
    assert.equal(last.nextCursor, null);
    assert.equal(last.jobs.length, 1);
    const failedId = await s.tickflow.enqueue(broken);
    await waitFor(async () => (await s.tickflow.getJob(failedId))?.state === "discarded", "discard");
    const shown = (await call(s.port, "GET", `/api/v1/jobs/${failedId}`)).json();
    assert.equal(shown.job.state, "discarded");
    assert.equal(shown.attempts[0].outcome, "discarded");
    assert.equal(shown.attempts[0].errorMessage, "nope");
    const byState = (await call(s.port, "GET", "/api/v1/jobs?state=discarded")).json();
    assert.deepEqual(
      byState.jobs.map((j: { id: string }) => j.id),
      [failedId],
    );
  });

  it("rejects bad filters with 400 naming the field", async () => {
    for (const [query, field] of [
      ["state=exploded", "state"],
      ["limit=0", "limit"],
      ["queue=bad%20queue", "queue"],
      ["cursor=abc", "cursor"],
      ["colour=red", "colour"],
    ]) {
      const reply = await call(s.port, "GET", `/api/v1/jobs?${query}`);
      assert.equal(reply.status, 400, query);
      assert.match(reply.json().error.message, new RegExp(`query ${field}`), query);
    }
    assert.equal((await call(s.port, "GET", "/api/v1/jobs/xyz")).status, 400);
    assert.equal((await call(s.port, "GET", "/api/v1/jobs/999999")).status, 404);
  });

  it("retries and cancels jobs", async () => {
    const id = await s.tickflow.enqueue(work, null, { delay: "1h" });
    const cancelled = (await call(s.port, "POST", `/api/v1/jobs/${id}/cancel`)).json();
    assert.equal(cancelled.job.state, "cancelled");
    const retried = (await call(s.port, "POST", `/api/v1/jobs/${id}/retry`)).json();
    assert.equal(retried.job.state, "available");
  });

  it("shows queues, schedules with ticks, and pauses/resumes a schedule", async () => {
    const queues = (await call(s.port, "GET", "/api/v1/queues")).json().queues;
    assert.ok(
      queues.some(
        (q: { queue: string; counts: Record<string, number> }) =>
          q.queue === "later" && (q.counts.scheduled ?? 0) >= 1,
      ),
    );
    const list = (await call(s.port, "GET", "/api/v1/schedules")).json().schedules;
    assert.equal(list[0].key, "api-sched");
    assert.equal(list[0].health.status, "never_ran", "health in the vocabulary of core/schedule-health");
    const one = (await call(s.port, "GET", "/api/v1/schedules/api-sched")).json();
    assert.equal(one.next.length, 5);
    assert.equal(one.rates["90d"].successRate, null, "no rollup yet: no rate, not a made-up 100 %");
    assert.equal(
      (await call(s.port, "POST", "/api/v1/schedules/api-sched/pause")).json().schedule.paused,
      true,
    );
    assert.equal(
      (await call(s.port, "POST", "/api/v1/schedules/api-sched/resume")).json().schedule.paused,
      false,
    );
    assert.deepEqual((await call(s.port, "GET", "/api/v1/schedules/api-sched/ticks")).json(), {
      ticks: [],
      nextCursor: null,
    });
    assert.equal((await call(s.port, "GET", "/api/v1/schedules/nope/ticks")).status, 404);
    assert.equal(
      (await call(s.port, "GET", "/api/v1/schedules/api-sched/ticks?since=yesterday")).status,
      400,
    );
  });

  it("serves an OpenAPI document listing the routes", async () => {
    const doc = (await call(s.port, "GET", "/api/v1/openapi.json")).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/jobs/{id}/retry"].post);
  });

  it("answers /health: overall only without a token, components with one", async () => {
    const open = await call(s.port, "GET", "/health", { token: null });
    assert.equal(open.status, 200, (await call(s.port, "GET", "/health")).text);
    const { starting: _starting, ...verdict } = open.json();
    assert.deepEqual(verdict, { status: "ok", live: true, ready: true });
    const detailed = (await call(s.port, "GET", "/health")).json();
    assert.equal(detailed.components.store.status, "ok");
    assert.equal(detailed.components.scheduler.status, "ok");
  });

  it("serves Prometheus metrics that parse back, protected by the token", async () => {
    assert.equal((await call(s.port, "GET", "/metrics", { token: null })).status, 401);
    const reply = await call(s.port, "GET", "/metrics");
    assert.match(String(reply.headers["content-type"]), /text\/plain/);
    const families = parsePrometheus(reply.text);
    const byName = new Map(families.map((f) => [f.name, f]));
    const jobs = byName.get("tickflow_jobs")!;
    assert.equal(jobs.type, "GAUGE");
    assert.ok(jobs.metrics.some((m) => m.labels?.queue === "later" && m.labels?.state === "scheduled"));
    const runs = byName.get("tickflow_job_runs_total")!;
    assert.ok(runs.metrics.some((m) => m.labels?.type === "api.broken" && m.labels?.outcome === "discarded"));
    assert.equal(byName.get("tickflow_job_run_duration_seconds")?.type, "HISTOGRAM");
  });
});

describe("/health with the heartbeat", () => {
  it("flips to 503 when the heartbeat pair goes missing, naming the component behind the token", async () => {
    // 20 s into a minute: started in a minute's last 5 s (the startup grace), the first beat would
    // rightly be "interrupted", not "ok" (seen in CI one run in twelve).
    const clock = new FakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 20_000);
    const s = await startHttp({}, { heartbeat: true, tickflow: { clock } });
    try {
      const fresh = await call(s.port, "GET", "/health");
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.json().components.heartbeat.status, "ok");
      clock.advance(5 * 60_000); // five minutes without a single beat
      const stale = await call(s.port, "GET", "/health");
      assert.equal(stale.status, 503);
      assert.equal(stale.json().components.heartbeat.status, "missing");
      assert.deepEqual((await call(s.port, "GET", "/health", { token: null })).json(), {
        status: "unavailable",
        live: true,
        ready: false,
      });
      assert.equal((await call(s.port, "GET", "/health/live", { token: null })).status, 200, "still live");
      assert.equal((await call(s.port, "GET", "/health/ready", { token: null })).status, 503);
      const metrics = parsePrometheus((await call(s.port, "GET", "/metrics")).text);
      const states = metrics.find((f) => f.name === "tickflow_heartbeat_status")?.metrics ?? [];
      const current = states.filter((m) => m.value === "1").map((m) => m.labels?.tickflow_heartbeat_status);
      assert.deepEqual(current, ["missing"], "a StateSet: exactly one state is 1");
      assert.equal(states.length, 4);
    } finally {
      await s.close();
    }
  });
});
