import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { InvalidOptionError, InvalidPayloadError, UnknownJobTypeError } from "../../src/errors.ts";
import { buildJobInsert } from "../../src/runtime/enqueue.ts";
import { defineJob, JobRegistry } from "../../src/runtime/registry.ts";
import type { WorkerPool } from "../../src/runtime/worker-pool.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { asJobs, startTestTickflow } from "../helpers/runtime.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const fastRetry = { type: "fixed", delay: 10 } as const;

describe("engine", () => {
  it("runs an enqueued job once and records the attempt", async () => {
    const seen: unknown[] = [];
    const echo = defineJob<{ n: number }>("echo", async (payload, ctx) => {
      seen.push([payload, ctx.attempt, ctx.queue]);
    });
    const t = await startTestTickflow(asJobs(echo));
    try {
      const id = await t.tickflow.enqueue(echo, { n: 7 });
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "succeeded", "job to succeed");
      assert.deepEqual(seen, [[{ n: 7 }, 1, "default"]]);
      const runs = await t.tickflow.listJobRuns(id);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.outcome, "succeeded");
      assert.equal(runs[0]!.workerId, t.tickflow.workerId);
    } finally {
      await t.cleanup();
    }
  });

  it("ctx shows the job's fields when logged or spread, and no runner internals", async () => {
    let shown: Record<string, unknown> = {};
    const peek = defineJob("peek", async (_payload, ctx) => {
      shown = { ...ctx };
    });
    const t = await startTestTickflow(asJobs(peek));
    try {
      const id = await t.tickflow.enqueue(peek);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "succeeded", "job to succeed");
      assert.deepEqual(shown, {
        jobId: id,
        type: "peek",
        queue: "default",
        attempt: 1,
        maxAttempts: 3,
        scheduledFor: null,
      });
    } finally {
      await t.cleanup();
    }
  });

  it("an idle worker takes a job enqueued in its own process without claiming it", async () => {
    const ran: number[] = [];
    const echo = defineJob<number>("echo", async (n, ctx) => {
      ran.push(n, ctx.attempt);
    });
    const t = await startTestTickflow(asJobs(echo));
    const store = (t.tickflow as unknown as { store: SqliteStore }).store;
    const claim = store.jobs.claimJobs.bind(store.jobs);
    const claimedIds: string[] = [];
    store.jobs.claimJobs = async (request) => {
      const jobs = await claim(request);
      claimedIds.push(...jobs.map((j) => j.id));
      return jobs;
    };
    try {
      await sleep(100); // the pool's first claims came back empty: it is idle
      const id = await t.tickflow.enqueue(echo, 7);
      const row = await t.tickflow.getJob(id);
      assert.notEqual(row?.state, "available", "inserted already leased");
      assert.equal(row?.leaseOwner ?? t.tickflow.workerId, t.tickflow.workerId);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "succeeded", "job to succeed");
      assert.deepEqual(ran, [7, 1]);
      assert.deepEqual(claimedIds, [], "no claim returned it");
      const runs = await t.tickflow.listJobRuns(id);
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.outcome, r.workerId]),
        [[1, "succeeded", t.tickflow.workerId]],
      );
    } finally {
      await t.cleanup();
    }
  });

  it("a job inserted leased to a worker that began stopping meanwhile is handed back, not left leased", async () => {
    const echo = defineJob("echo", async () => {});
    const t = await startTestTickflow(asJobs(echo));
    const { engine, store } = t.tickflow as unknown as { engine: { pool: WorkerPool }; store: SqliteStore };
    const { pool } = engine;
    try {
      await sleep(100); // idle: a slot can be reserved
      const leaseTo = pool.reserveSlot("default");
      assert.ok(leaseTo, "an idle pool reserves a slot");
      const stopped = t.tickflow.stop(); // waits for the reservation to be settled
      await sleep(20);
      const now = Date.now();
      const registry = new JobRegistry();
      registry.register(echo as never);
      const insert = buildJobInsert(registry, "echo", null, {}, now);
      const [result] = await store.jobs.insertJobs([insert], now, { leaseTo });
      assert.equal((await store.queries.getJob(result!.id))?.state, "running");
      pool.adopt(result!.claimed!);
      await stopped;
      const row = await store.queries.getJob(result!.id);
      assert.equal(row?.state, "available");
      assert.equal(row?.attempt, 0);
      assert.equal(row?.leaseOwner, null);
      assert.deepEqual(
        (await store.queries.listJobRuns(result!.id)).map((r) => r.outcome),
        ["released"],
      );
    } finally {
      await t.cleanup();
    }
  });

  it("retries a failing job with backoff and records every attempt", async () => {
    let calls = 0;
    const flaky = defineJob(
      "flaky",
      async () => {
        calls++;
        if (calls < 3) throw new Error(`failure ${calls}`);
      },
      { maxAttempts: 5, backoff: fastRetry },
    );
    const t = await startTestTickflow(asJobs(flaky));
    try {
      const id = await t.tickflow.enqueue(flaky);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "succeeded", "job to succeed");
      const runs = await t.tickflow.listJobRuns(id);
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.outcome, r.errorMessage]),
        [
          [1, "failed", "failure 1"],
          [2, "failed", "failure 2"],
          [3, "succeeded", null],
        ],
      );
      assert.match(runs[0]!.errorStack ?? "", /failure 1\n\s+at /);
    } finally {
      await t.cleanup();
    }
  });

  it("discards a job when attempts are spent, and emits job:fail each time", async () => {
    const failures: string[] = [];
    const broken = defineJob(
      "broken",
      async () => {
        throw new Error("always");
      },
      { maxAttempts: 2, backoff: fastRetry },
    );
    const t = await startTestTickflow(asJobs(broken));
    t.tickflow.on("job:fail", (e) =>
      failures.push(`${e.attempt}:${e.outcome}:${e.retryAt === null ? "final" : "retry"}`),
    );
    try {
      const id = await t.tickflow.enqueue(broken);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "discarded", "job to be discarded");
      assert.deepEqual(failures, ["1:failed:retry", "2:discarded:final"]);
    } finally {
      await t.cleanup();
    }
  });

  it("runs higher priority first, then oldest", async () => {
    const order: string[] = [];
    const record = defineJob<string>("record", async (name) => {
      order.push(name);
    });
    const t = await startTestTickflow(asJobs(record), { concurrency: 1 });
    try {
      await t.tickflow.stop(0);
      const enqueueOnly = new Tickflow(t.tickflow.store, { jobs: asJobs(record) }, false);
      await enqueueOnly.enqueueMany([
        { type: record, payload: "low-1" },
        { type: record, payload: "high", options: { priority: 10 } },
        { type: record, payload: "low-2" },
      ]);
      const worker = new Tickflow(t.tickflow.store, { jobs: asJobs(record), concurrency: 1 }, false);
      await worker.start();
      await waitFor(() => order.length === 3, "three jobs");
      await worker.stop(0);
      assert.deepEqual(order, ["high", "low-1", "low-2"]);
    } finally {
      await t.cleanup();
    }
  });

  it("dedupes by key while the first job is unfinished", async () => {
    const slow = defineJob("slow", async () => sleep(50));
    const t = await startTestTickflow(asJobs(slow), { concurrency: 1 });
    try {
      const a = await t.tickflow.enqueue(slow, undefined, { key: "only-one", delay: "1h" });
      const b = await t.tickflow.enqueue(slow, undefined, { key: "only-one" });
      assert.equal(a, b);
      assert.equal((await t.tickflow.store.queries.listJobs({ type: "slow" })).length, 1);
    } finally {
      await t.cleanup();
    }
  });

  it("emits job:enqueue per job of a batch to a listener, duplicates marked", async () => {
    const slow = defineJob("slow", async () => sleep(50));
    const t = await startTestTickflow(asJobs(slow), { concurrency: 1 });
    const seen: { jobId: string; duplicate: boolean; type: string }[] = [];
    const off = t.tickflow.events.on("job:enqueue", ({ jobId, duplicate, type }) =>
      seen.push({ jobId, duplicate, type }),
    );
    try {
      const options = { key: "k", delay: "1h" };
      const ids = await t.tickflow.enqueueMany([
        { type: slow, options },
        { type: slow, options },
        { type: slow, options: { delay: "1h" } },
      ]);
      assert.deepEqual(seen, [
        { jobId: ids[0], duplicate: false, type: "slow" },
        { jobId: ids[0], duplicate: true, type: "slow" },
        { jobId: ids[2], duplicate: false, type: "slow" },
      ]);
    } finally {
      off();
      await t.cleanup();
    }
  });

  it("runs a delayed job at its time, not before", async () => {
    const ranAt: number[] = [];
    const later = defineJob("later", async () => {
      ranAt.push(Date.now());
    });
    const t = await startTestTickflow(asJobs(later), { pollIntervalMs: 5_000 });
    try {
      const before = Date.now();
      await t.tickflow.enqueue(later, undefined, { delay: 200 });
      await waitFor(() => ranAt.length === 1, "delayed job");
      // The timer is armed for the due time (poll interval is 5 s here): it runs at ~200 ms.
      assert.ok(ranAt[0]! - before >= 200, `ran after ${ranAt[0]! - before}ms`);
      assert.ok(ranAt[0]! - before < 2_000, `ran after ${ranAt[0]! - before}ms`);
    } finally {
      await t.cleanup();
    }
  });

  it("abandons a handler that ignores its timeout, records timed_out, and keeps working", async () => {
    let signalAborted = false;
    const hang = defineJob(
      "hang",
      (_p, ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener("abort", () => {
            signalAborted = true;
          });
        }),
      { timeout: 100, maxAttempts: 1 },
    );
    const quick = defineJob("quick", async () => {});
    const t = await startTestTickflow(asJobs(hang, quick), { concurrency: 1 });
    try {
      const hung = await t.tickflow.enqueue(hang);
      const next = await t.tickflow.enqueue(quick);
      await waitFor(
        async () => (await t.tickflow.getJob(next))?.state === "succeeded",
        "the next job to run",
      );
      assert.equal((await t.tickflow.getJob(hung))?.state, "discarded");
      const runs = await t.tickflow.listJobRuns(hung);
      assert.equal(runs[0]!.outcome, "timed_out");
      assert.equal(signalAborted, true);
    } finally {
      await t.cleanup();
    }
  });

  it("drains running jobs at stop within the grace period", async () => {
    const gentle = defineJob("gentle", async () => sleep(150));
    const t = await startTestTickflow(asJobs(gentle));
    try {
      const id = await t.tickflow.enqueue(gentle);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "running", "job to start");
      await t.tickflow.stop(5_000);
      assert.equal((await t.tickflow.getJob(id))?.state, "succeeded");
    } finally {
      await t.cleanup();
    }
  });

  it("aborts jobs still running after the grace period and releases them for another worker", async () => {
    let aborts = 0;
    let runs = 0;
    const stubborn = defineJob("stubborn", async (_p, ctx) => {
      runs++;
      if (runs > 1) return;
      await new Promise((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          aborts++;
          resolve(undefined);
        }),
      );
    });
    const t = await startTestTickflow(asJobs(stubborn));
    try {
      const id = await t.tickflow.enqueue(stubborn);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "running", "job to start");
      await t.tickflow.stop(100);
      assert.equal(aborts, 1);
      const released = await t.tickflow.getJob(id);
      assert.equal(released?.state, "available");
      assert.equal(released?.attempt, 0);
      const next = new Tickflow(t.tickflow.store, { jobs: asJobs(stubborn), pollIntervalMs: 50 }, false);
      await next.start();
      await waitFor(
        async () => (await next.getJob(id))?.state === "succeeded",
        "another worker to finish it",
      );
      await next.stop(0);
      const outcomes = (await next.listJobRuns(id)).map((r) => r.outcome);
      assert.deepEqual(outcomes, ["released", "succeeded"]);
    } finally {
      await t.cleanup();
    }
  });

  it("a second stop() cuts the grace short without corrupting anything", async () => {
    const stubborn = defineJob(
      "stubborn2",
      (_p, ctx) => new Promise((r) => ctx.signal.addEventListener("abort", r)),
    );
    const t = await startTestTickflow(asJobs(stubborn));
    try {
      const id = await t.tickflow.enqueue(stubborn);
      await waitFor(async () => (await t.tickflow.getJob(id))?.state === "running", "job to start");
      const first = t.tickflow.stop(60_000);
      const second = t.tickflow.stop(0);
      await Promise.all([first, second]);
      assert.equal((await t.tickflow.getJob(id))?.state, "available");
    } finally {
      await t.cleanup();
    }
  });

  it("fences a worker whose lease expired: the job runs elsewhere, the late result is not applied", async () => {
    const T = Date.UTC(2030, 0, 1);
    const stalledClock = new FakeClock(T);
    let release: () => void = () => {};
    let executions = 0;
    const work = defineJob("work", async (_p, ctx) => {
      executions++;
      if (ctx.attempt === 1) await new Promise<void>((r) => (release = r));
    });
    const t = await startTestTickflow(asJobs(work), { clock: stalledClock, leaseMs: 1_000 });
    try {
      const id = await t.tickflow.enqueue(work);
      await waitFor(() => executions === 1, "first attempt to start");
      // A second process whose clock is past the first one's lease: it rescues and re-runs the job.
      const store2 = new SqliteStore((t.tickflow.store as SqliteStore).file);
      const other = new Tickflow(
        store2,
        { jobs: asJobs(work), clock: new FakeClock(T + 10_000), pollIntervalMs: 20 },
        true,
      );
      await other.start();
      await waitFor(async () => (await other.getJob(id))?.state === "succeeded", "second worker to finish");
      release();
      await waitFor(
        async () => (await other.listJobRuns(id)).length === 3,
        "the late completion to be recorded",
      );
      const outcomes = (await other.listJobRuns(id)).map((r) => r.outcome).sort();
      assert.deepEqual(outcomes, ["abandoned", "lease_lost", "succeeded"]);
      assert.equal((await other.getJob(id))?.state, "succeeded");
      await other.stop(0);
    } finally {
      await t.cleanup();
    }
  });

  it("a job claimed again while its older attempt still runs here aborts that attempt and tracks the new one", async () => {
    const abortReasons: unknown[] = [];
    let executions = 0;
    const work = defineJob("work", async (_p, ctx) => {
      executions++;
      if (executions > 1) return;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      abortReasons.push((ctx.signal.reason as { reason?: unknown }).reason);
    });
    const t = await startTestTickflow(asJobs(work), { concurrency: 2, pollIntervalMs: 20 });
    try {
      const id = await t.tickflow.enqueue(work);
      await waitFor(() => executions === 1, "first attempt to start");
      // The row as it was before the claim, as after a claim lost in a database crash.
      const db = new Database(t.file);
      db.prepare(
        `UPDATE jobs SET state = 'available', attempt = 0, lease_owner = NULL, lease_expires_at = NULL,
           started_at = NULL WHERE id = ?`,
      ).run(Number(id));
      db.close();
      await waitFor(
        async () => (await t.tickflow.getJob(id))?.state === "succeeded",
        "second attempt to finish",
      );
      await waitFor(() => abortReasons.length === 1, "the older attempt to be aborted");
      assert.deepEqual(abortReasons, ["lease_lost"]);
      assert.equal(executions, 2);
      const { pool } = (t.tickflow as unknown as { engine: { pool: WorkerPool } }).engine;
      await waitFor(() => pool.activeCount === 0, "both attempts to be done");
    } finally {
      await t.cleanup();
    }
  });

  it("saves ctx.state with the outcome, across runs and instances", async () => {
    const counter = defineJob<null, { n: number }>(
      "counter",
      async (_p, ctx) => {
        ctx.state = { n: (ctx.state?.n ?? 0) + 1 };
        if (ctx.state.n === 2) throw new Error("state survives failures too");
      },
      { backoff: fastRetry },
    );
    const t = await startTestTickflow(asJobs(counter));
    try {
      for (let i = 0; i < 3; i++) {
        const id = await t.tickflow.enqueue(counter, null, { stateKey: "c" });
        await waitFor(async () => {
          const row = await t.tickflow.getJob(id);
          return row?.state === "succeeded";
        }, "counter job");
      }
      assert.deepEqual(await t.tickflow.store.queries.loadJobState("c"), { n: 4 });
    } finally {
      await t.cleanup();
    }
  });

  it("rejects bad input at enqueue and writes nothing", async () => {
    const ok = defineJob("ok", async () => {});
    const t = await startTestTickflow(asJobs(ok));
    try {
      await assert.rejects(t.tickflow.enqueue("nope"), UnknownJobTypeError);
      await assert.rejects(t.tickflow.enqueue(ok, { f: () => 1 }), InvalidPayloadError);
      await assert.rejects(t.tickflow.enqueue(ok, {}, { queue: "bad queue!" }), InvalidOptionError);
      await assert.rejects(t.tickflow.enqueue(ok, {}, { delay: -5 }), /delay must not be negative/);
      await assert.rejects(
        t.tickflow.enqueueMany([
          { type: ok, payload: 1 },
          { type: "nope", payload: 2 },
        ]),
        /unknown job type "nope"/,
      );
      assert.deepEqual(await t.tickflow.store.queries.listJobs({}), []);
    } finally {
      await t.cleanup();
    }
  });
});
