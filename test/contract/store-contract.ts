import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { DEFAULT_BACKOFF } from "../../src/core/backoff.ts";
import type { AttemptFinish, ClaimedJob, JobInsert } from "../../src/store/ports/job-store.ts";
import type { ScheduleDefinitionRow } from "../../src/store/ports/rows.ts";
import type { SyncReport } from "../../src/store/ports/schedule-store.ts";
import type { Store } from "../../src/store/store.ts";
import { planFor } from "../helpers/plan.ts";

/**
 * The one suite every store adapter must pass. `harness()` gives a migrated, empty store and a
 * way to open a second, independent store on the same database (another "process").
 */
export interface StoreHarness {
  store: Store;
  openAnother(): Promise<Store>;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const LEASE = 30_000;

export function job(overrides: Partial<JobInsert> = {}): JobInsert {
  return {
    type: "test",
    queue: "default",
    payload: JSON.stringify({ n: 1 }),
    priority: 0,
    maxAttempts: 3,
    runAt: T0,
    key: null,
    timeoutMs: null,
    backoff: JSON.stringify(DEFAULT_BACKOFF),
    stateKey: null,
    ...overrides,
  };
}

/** A first-attempt success of `claimed` by worker w1, 5 ms long; `overrides` for anything else. */
export function finish(claimed: ClaimedJob, overrides: Partial<AttemptFinish> = {}): AttemptFinish {
  return {
    jobId: claimed.id,
    leaseToken: claimed.leaseToken,
    workerId: "w1",
    attempt: claimed.attempt,
    startedAt: claimed.startedAt,
    endedAt: claimed.startedAt + 5,
    outcome: "succeeded",
    next: { state: "succeeded" },
    error: null,
    state: null,
    tick: null,
    ...overrides,
  };
}

export function schedule(overrides: Partial<ScheduleDefinitionRow> = {}): ScheduleDefinitionRow {
  return {
    id: "every-minute",
    jobType: "test",
    payload: "null",
    trigger: { kind: "every", intervalMs: 60_000 },
    misfire: "latest",
    graceMs: 3_600_000,
    overlap: "allow",
    jobOptions: {
      stateful: true,
      queue: "default",
      priority: 0,
      maxAttempts: 3,
      timeoutMs: null,
      backoff: JSON.stringify(DEFAULT_BACKOFF),
    },
    initialNextFireAt: T0 + 60_000,
    ...overrides,
  };
}

/** A sync report's changes (conflicts and the deploy decision are the runtime-schedule contract's). */
const changes = (r: SyncReport) => ({ created: r.created, updated: r.updated, removed: r.removed });

/**
 * Registers the hooks that give every test of the calling describe() a fresh database, handed to
 * `use` before each test: cases stay independent, and it is cheap on both stores (a temp file, a
 * schema).
 */
export function freshHarnessPerTest(
  makeHarness: () => Promise<StoreHarness | undefined>,
  use: (harness: StoreHarness) => void,
): void {
  let h: StoreHarness | undefined;
  let n = 0;
  const fresh = async () => {
    await h?.cleanup();
    h = await makeHarness();
    if (h) use(h);
  };
  before(fresh);
  beforeEach(async () => {
    if (n++ > 0) await fresh();
  });
  after(async () => h?.cleanup());
}

export function runStoreContract(name: string, makeHarness: () => Promise<StoreHarness | undefined>): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const claim = (limit = 10, now = T0, workerId = "w1", queues?: string[]) =>
      store.jobs.claimJobs({ workerId, queues, limit, leaseMs: LEASE, now });

    describe("migrations", () => {
      it("migrate() is idempotent and reports nothing pending", async () => {
        const again = await store.migrate();
        assert.deepEqual(again.applied, []);
        assert.deepEqual(await store.pendingMigrations(), []);
      });

      it("concurrent migrate() from two stores both succeed", async () => {
        const other = await h!.openAnother();
        const results = await Promise.all([store.migrate(), other.migrate()]);
        assert.equal(results.length, 2);
      });
    });

    describe("jobs", () => {
      it("inserts due jobs as available and future ones as scheduled", async () => {
        const [a, b] = await store.jobs.insertJobs([job(), job({ runAt: T0 + 1_000 })], T0);
        assert.equal((await store.queries.getJob(a!.id))?.state, "available");
        assert.equal((await store.queries.getJob(b!.id))?.state, "scheduled");
        assert.deepEqual((await store.queries.getJob(a!.id))?.payload, { n: 1 });
      });

      it("dedupes by key while the job is unfinished, and frees the key after", async () => {
        const [first] = await store.jobs.insertJobs([job({ key: "k" })], T0);
        const [second] = await store.jobs.insertJobs([job({ key: "k" })], T0);
        assert.equal(first!.status, "inserted");
        assert.deepEqual(second, { id: first!.id, status: "duplicate" });
        const [claimed] = await claim();
        await store.jobs.finishAttempts([finish(claimed!)]);
        const [third] = await store.jobs.insertJobs([job({ key: "k" })], T0);
        assert.equal(third!.status, "inserted");
        assert.notEqual(third!.id, first!.id);
      });

      it("inserts a large mixed batch in sets: each result is its own job's, duplicates named", async () => {
        const [held] = await store.jobs.insertJobs([job({ key: "held" })], T0);
        // 1 300 jobs: more than one chunk on every store, keyed and unkeyed interleaved, a key twice
        // in the batch (across a chunk boundary too) and a key an unfinished job already holds.
        const batch = Array.from({ length: 1_300 }, (_, n) =>
          job({
            payload: JSON.stringify({ n }),
            key: n % 7 === 0 ? `k${n % 21}` : n === 600 ? "held" : n === 1_299 ? "k0" : null,
          }),
        );
        const results = await store.jobs.insertJobs(batch, T0);
        assert.equal(results.length, batch.length);
        const firstOfKey = new Map<string, string>();
        for (const [n, result] of results.entries()) {
          const key = batch[n]!.key;
          if (key === "held") {
            assert.deepEqual(result, { id: held!.id, status: "duplicate" }, `job ${n}`);
            continue;
          }
          if (key !== null && firstOfKey.has(key)) {
            assert.deepEqual(result, { id: firstOfKey.get(key), status: "duplicate" }, `job ${n}`);
            continue;
          }
          assert.equal(result.status, "inserted", `job ${n}`);
          if (key !== null) firstOfKey.set(key, result.id);
          const row = await store.queries.getJob(result.id);
          assert.deepEqual(row?.payload, { n }, `job ${n}'s id points at its own row`);
          assert.equal(row?.key, key);
        }
        assert.equal(firstOfKey.size, 3, "k0, k7 and k14 inserted once each");
        const inserted = results.filter((r) => r.status === "inserted").length;
        assert.equal(new Set(results.map((r) => r.id)).size, inserted + 1, "distinct ids, plus the held one");
      });

      it("claims due jobs by priority, then runAt, then id; never future ones", async () => {
        const ids = await store.jobs.insertJobs(
          [
            job({ runAt: T0 - 10 }),
            job({ priority: 5, runAt: T0 }),
            job({ runAt: T0 - 20 }),
            job({ runAt: T0 + 1 }),
          ],
          T0 - 100,
        );
        const claimed = await claim(10);
        assert.deepEqual(
          claimed.map((c) => c.id),
          [ids[1]!.id, ids[2]!.id, ids[0]!.id],
        );
        for (const c of claimed) {
          assert.equal(c.attempt, 1);
          assert.equal(c.startedAt, T0);
        }
        const row = await store.queries.getJob(ids[1]!.id);
        assert.equal(row?.state, "running");
        assert.equal(row?.leaseOwner, "w1");
        assert.equal(row?.leaseExpiresAt, T0 + LEASE);
      });

      it("honours the limit and the queue filter", async () => {
        await store.jobs.insertJobs([job({ queue: "a" }), job({ queue: "b" }), job({ queue: "b" })], T0);
        assert.equal((await claim(1, T0, "w1", ["b"])).length, 1);
        const rest = await claim(10, T0, "w1", ["a"]);
        assert.deepEqual(
          rest.map((c) => c.queue),
          ["a"],
        );
        assert.equal((await claim(10)).length, 1);
      });

      it("never gives one job to two workers, across stores", async () => {
        const other = await h!.openAnother();
        await store.jobs.insertJobs(
          Array.from({ length: 300 }, () => job()),
          T0,
        );
        const seen: string[] = [];
        const drain = async (s: Store, worker: string) => {
          for (;;) {
            const got = await s.jobs.claimJobs({
              workerId: worker,
              queues: undefined,
              limit: 7,
              leaseMs: LEASE,
              now: T0,
            });
            if (got.length === 0) return;
            seen.push(...got.map((g) => g.id));
          }
        };
        await Promise.all([drain(store, "w1"), drain(other, "w2"), drain(store, "w3"), drain(other, "w4")]);
        assert.equal(seen.length, 300);
        assert.equal(new Set(seen).size, 300);
      });

      it("finishes an attempt: transition, run row and durable state in one step", async () => {
        await store.jobs.insertJobs([job({ stateKey: "s1" })], T0);
        const [c] = await claim();
        const result = await store.jobs.finishAttempts([
          finish(c!, { state: { key: "s1", json: '{"count":1}' } }),
        ]);
        assert.deepEqual(result, ["applied"]);
        const row = await store.queries.getJob(c!.id);
        assert.equal(row?.state, "succeeded");
        assert.equal(row?.finishedAt, T0 + 5);
        assert.equal(row?.leaseOwner, null);
        const runs = await store.queries.listJobRuns(c!.id);
        assert.equal(runs.length, 1);
        assert.equal(runs[0]!.outcome, "succeeded");
        assert.equal(runs[0]!.durationMs, 5);
        assert.equal(runs[0]!.workerId, "w1");
        assert.deepEqual(await store.queries.loadJobState("s1"), { count: 1 });
      });

      it("runs jobs sharing a state key one at a time, in order", async () => {
        const [k1, k2, free] = await store.jobs.insertJobs(
          [job({ stateKey: "k" }), job({ stateKey: "k" }), job()],
          T0,
        );
        const first = await claim(10);
        assert.deepEqual(first.map((c) => c.id).sort(), [k1!.id, free!.id].sort());
        assert.deepEqual(await claim(10), []);
        const keyed = first.find((c) => c.id === k1!.id)!;
        await store.jobs.finishAttempts([finish(keyed)]);
        const next = await claim(10);
        assert.deepEqual(
          next.map((c) => c.id),
          [k2!.id],
        );
      });

      it("schedules a retry with its error, then discards when attempts are spent", async () => {
        await store.jobs.insertJobs([job({ maxAttempts: 2 })], T0);
        const [c1] = await claim();
        const error = { message: "boom", stack: "Error: boom\n    at x" };
        await store.jobs.finishAttempts([
          finish(c1!, { outcome: "failed", next: { state: "retry_scheduled", runAt: T0 + 1_000 }, error }),
        ]);
        let row = await store.queries.getJob(c1!.id);
        assert.equal(row?.state, "retry_scheduled");
        assert.equal(row?.runAt, T0 + 1_000);
        assert.equal(row?.lastError, "boom");
        assert.equal(row?.finishedAt, null);
        assert.equal((await claim(10, T0 + 999)).length, 0);
        const [c2] = await claim(10, T0 + 1_000);
        assert.equal(c2?.attempt, 2);
        await store.jobs.finishAttempts([
          finish(c2!, { outcome: "discarded", next: { state: "discarded" }, error }),
        ]);
        row = await store.queries.getJob(c1!.id);
        assert.equal(row?.state, "discarded");
        const runs = await store.queries.listJobRuns(c1!.id);
        assert.deepEqual(
          runs.map((r) => [r.attempt, r.outcome, r.errorMessage, r.errorStack]),
          [
            [1, "failed", "boom", error.stack],
            [2, "discarded", "boom", error.stack],
          ],
        );
      });

      it("fences a completion whose lease was lost: recorded as lease_lost, never applied", async () => {
        await store.jobs.insertJobs([job({ stateKey: "fenced" })], T0);
        const [stale] = await claim(10, T0, "w1");
        assert.equal(await store.jobs.rescueExpiredLeases(T0 + LEASE + 1), 1);
        const [fresh] = await claim(10, T0 + LEASE + 2, "w2");
        assert.equal(fresh?.id, stale?.id);
        assert.notEqual(fresh?.leaseToken, stale?.leaseToken);
        const late = await store.jobs.finishAttempts([
          finish(stale!, { state: { key: "fenced", json: '"stale"' } }),
        ]);
        assert.deepEqual(late, ["lease_lost"]);
        const row = await store.queries.getJob(stale!.id);
        assert.equal(row?.state, "running");
        assert.equal(row?.leaseOwner, "w2");
        assert.equal(await store.queries.loadJobState("fenced"), undefined);
        const outcomes = (await store.queries.listJobRuns(stale!.id)).map((r) => r.outcome);
        assert.deepEqual(outcomes, ["abandoned", "lease_lost"]);
        assert.deepEqual(await store.jobs.finishAttempts([finish(fresh!, { workerId: "w2" })]), ["applied"]);
      });

      it("finishes a batch of plain successes, fencing each one by its own lease", async () => {
        await store.jobs.insertJobs([job(), job(), job()], T0);
        const [a, b, c] = await claim(10);
        await store.jobs.cancelJob(b!.id, T0);
        const results = await store.jobs.finishAttempts([
          finish(a!),
          finish(b!),
          finish(c!, { endedAt: T0 + 9 }),
        ]);
        assert.deepEqual(results, ["applied", "lease_lost", "applied"]);
        assert.equal((await store.queries.getJob(a!.id))?.state, "succeeded");
        assert.equal((await store.queries.getJob(b!.id))?.state, "cancelled");
        const cRow = await store.queries.getJob(c!.id);
        assert.equal(cRow?.finishedAt, T0 + 9);
        assert.equal(cRow?.leaseOwner, null);
        assert.equal(cRow?.lastError, null);
        const runs = async (id: string) =>
          (await store.queries.listJobRuns(id)).map((r) => [r.attempt, r.outcome, r.workerId, r.durationMs]);
        assert.deepEqual(await runs(a!.id), [[1, "succeeded", "w1", 5]]);
        assert.deepEqual(await runs(b!.id), [[1, "lease_lost", "w1", 5]]);
        assert.deepEqual(await runs(c!.id), [[1, "succeeded", "w1", 9]]);
      });

      it("finishes a batch mixing successes and failures, each as it says", async () => {
        await store.jobs.insertJobs([job(), job({ maxAttempts: 3 })], T0);
        const [ok, bad] = await claim(10);
        const error = { message: "nope", stack: null };
        const results = await store.jobs.finishAttempts([
          finish(ok!),
          finish(bad!, { outcome: "failed", next: { state: "retry_scheduled", runAt: T0 + 50 }, error }),
        ]);
        assert.deepEqual(results, ["applied", "applied"]);
        assert.equal((await store.queries.getJob(ok!.id))?.state, "succeeded");
        const retried = await store.queries.getJob(bad!.id);
        assert.equal(retried?.state, "retry_scheduled");
        assert.equal(retried?.lastError, "nope");
        assert.deepEqual(
          (await store.queries.listJobRuns(bad!.id)).map((r) => r.outcome),
          ["failed"],
        );
      });

      it("extends held leases and reports lost ones", async () => {
        await store.jobs.insertJobs([job(), job()], T0);
        const [a, b] = await claim();
        await store.jobs.cancelJob(b!.id, T0);
        const lost = await store.jobs.extendLeases(
          "w1",
          [a!, b!].map((c) => ({ jobId: c.id, leaseToken: c.leaseToken })),
          LEASE,
          T0 + 10_000,
        );
        assert.deepEqual(lost, [b!.id]);
        assert.equal((await store.queries.getJob(a!.id))?.leaseExpiresAt, T0 + 10_000 + LEASE);
      });

      it("releases jobs at shutdown without counting the attempt", async () => {
        await store.jobs.insertJobs([job()], T0);
        const [c] = await claim();
        assert.equal(
          await store.jobs.releaseJobs("w1", [{ jobId: c!.id, leaseToken: c!.leaseToken }], T0 + 50),
          1,
        );
        const row = await store.queries.getJob(c!.id);
        assert.equal(row?.state, "available");
        assert.equal(row?.attempt, 0);
        assert.equal(row?.leaseOwner, null);
        assert.deepEqual(
          (await store.queries.listJobRuns(c!.id)).map((r) => [r.attempt, r.outcome]),
          [[1, "released"]],
        );
        const [again] = await claim(10, T0 + 50, "w2");
        assert.equal(again?.attempt, 1);
      });

      it("hands prefetched jobs back unstarted: place kept, attempt not counted, no run row", async () => {
        const [low, high] = await store.jobs.insertJobs([job(), job({ priority: 5 })], T0);
        const claimed = await claim();
        assert.deepEqual(
          claimed.map((c) => [c.id, c.priority, c.runAt]),
          [
            [high!.id, 5, T0],
            [low!.id, 0, T0],
          ],
          "claims carry their claim-order keys",
        );
        const leases = claimed.map((c) => ({ jobId: c.id, leaseToken: c.leaseToken }));
        assert.equal(await store.jobs.releaseJobs("w1", leases, T0 + 50, { unstarted: true }), 2);
        for (const c of claimed) {
          const row = await store.queries.getJob(c.id);
          assert.equal(row?.state, "available");
          assert.equal(row?.attempt, 0);
          assert.equal(row?.leaseOwner, null);
          assert.deepEqual(await store.queries.listJobRuns(c.id), [], "no attempt happened");
        }
        assert.deepEqual(
          (await claim(10, T0 + 50, "w2")).map((c) => [c.id, c.attempt]),
          [
            [high!.id, 1],
            [low!.id, 1],
          ],
        );
      });

      it("rescues expired leases: available again, or discarded when attempts are spent", async () => {
        const [a, b] = await store.jobs.insertJobs([job({ maxAttempts: 3 }), job({ maxAttempts: 1 })], T0);
        await claim();
        assert.equal(await store.jobs.rescueExpiredLeases(T0 + LEASE - 1), 0);
        await store.jobs.rescueExpiredLeases(T0 + LEASE + 1);
        assert.equal((await store.queries.getJob(a!.id))?.state, "available");
        assert.equal((await store.queries.getJob(b!.id))?.state, "discarded");
        const runs = await store.queries.listJobRuns(a!.id);
        assert.equal(runs[0]?.outcome, "abandoned");
        assert.equal(runs[0]?.workerId, "w1");
      });

      it("reports the earliest pending runAt per queue set", async () => {
        assert.equal(await store.queries.nextRunAt(undefined), null);
        await store.jobs.insertJobs(
          [job({ queue: "a", runAt: T0 + 500 }), job({ queue: "b", runAt: T0 + 100 })],
          T0,
        );
        assert.equal(await store.queries.nextRunAt(undefined), T0 + 100);
        assert.equal(await store.queries.nextRunAt(["a"]), T0 + 500);
      });

      it("lists jobs newest first with filters and an id cursor", async () => {
        const ids = (
          await store.jobs.insertJobs([job({ queue: "a" }), job({ queue: "b" }), job({ queue: "a" })], T0)
        ).map((r) => r.id);
        const all = await store.queries.listJobs({ limit: 10 });
        assert.deepEqual(
          all.map((j) => j.id),
          [...ids].reverse(),
        );
        const page = await store.queries.listJobs({ queue: "a", limit: 1 });
        assert.deepEqual(
          page.map((j) => j.id),
          [ids[2]],
        );
        const next = await store.queries.listJobs({ queue: "a", limit: 1, beforeId: page[0]!.id });
        assert.deepEqual(
          next.map((j) => j.id),
          [ids[0]],
        );
        assert.deepEqual(await store.queries.listJobs({ states: ["running"] }), []);
      });

      it("cancels pending jobs and retries discarded ones", async () => {
        const [a] = await store.jobs.insertJobs([job()], T0);
        const cancelled = await store.jobs.cancelJob(a!.id, T0);
        assert.equal(cancelled.state, "cancelled");
        assert.equal((await claim()).length, 0);
        const retried = await store.jobs.retryJob(a!.id, T0 + 1);
        assert.equal(retried.state, "available");
        assert.equal((await claim(10, T0 + 1)).length, 1);
        await assert.rejects(store.jobs.cancelJob("999999", T0), /not found/);
      });

      it("counts jobs by queue and state and prunes finished history", async () => {
        await store.jobs.insertJobs([job(), job(), job({ queue: "q2", runAt: T0 + 60_000 })], T0 - 5_000);
        const [c] = await claim(1);
        await store.jobs.finishAttempts([finish(c!)]);
        const counts = await store.queries.countJobs(T0);
        const get = (queue: string, state: string) =>
          counts.find((x) => x.queue === queue && x.state === state);
        assert.equal(get("default", "succeeded")?.count, 1);
        assert.equal(get("default", "available")?.count, 1);
        assert.equal(get("default", "available")?.oldestRunAt, T0);
        assert.equal(get("q2", "scheduled")?.count, 1);
        assert.equal(await store.jobs.pruneFinishedJobs(T0 + 6), 1);
        assert.equal(await store.queries.getJob(c!.id), null);
        assert.deepEqual(await store.queries.listJobRuns(c!.id), []);
      });

      it("inserts a due job already leased with leaseTo, exactly as a claim would leave it", async () => {
        const hints: unknown[] = [];
        // This store's own listeners, and another store's (for PostgreSQL: the NOTIFY).
        const other = await h!.openAnother();
        const offs = [store, other].map((s) => s.onJobsInserted((hint) => hints.push(hint)));
        const [r] = await store.jobs.insertJobs([job()], T0, { leaseTo: { workerId: "w1", leaseMs: LEASE } });
        assert.equal(r?.status, "inserted");
        assert.deepEqual(r?.claimed, {
          id: r?.id,
          type: "test",
          queue: "default",
          payload: JSON.stringify({ n: 1 }),
          attempt: 1,
          maxAttempts: 3,
          leaseToken: 1,
          timeoutMs: null,
          backoff: JSON.stringify(DEFAULT_BACKOFF),
          stateKey: null,
          scheduleId: null,
          nominalAt: null,
          startedAt: T0,
          priority: 0,
          runAt: T0,
        });
        const row = await store.queries.getJob(r!.id);
        assert.equal(row?.state, "running");
        assert.equal(row?.attempt, 1);
        assert.equal(row?.leaseOwner, "w1");
        assert.equal(row?.leaseExpiresAt, T0 + LEASE);
        assert.deepEqual(await claim(10, T0, "w2"), [], "no one else can claim it");
        const [unrenewed] = await store.jobs.insertJobs([job()], T0, {
          leaseTo: { workerId: "w1", leaseMs: LEASE },
        });
        await new Promise((r) => setTimeout(r, 100)); // a NOTIFY would have arrived by now
        for (const off of offs) off();
        assert.deepEqual(hints, [], "no one is hinted about a job that is already taken");
        assert.deepEqual(await store.jobs.finishAttempts([finish(r!.claimed!)]), ["applied"]);
        assert.equal((await store.queries.getJob(r!.id))?.state, "succeeded");
        // A lease nobody renews expires like a claimed job's, and the reaper gives the job back.
        assert.equal(await store.jobs.rescueExpiredLeases(T0 + LEASE + 1), 1);
        assert.equal((await store.queries.getJob(unrenewed!.id))?.state, "available");
      });

      it("leaseTo leaves future, state-keyed and duplicate jobs to the claim", async () => {
        const [first] = await store.jobs.insertJobs([job({ key: "k" })], T0);
        const results = await store.jobs.insertJobs(
          [job({ runAt: T0 + 1 }), job({ stateKey: "s" }), job({ key: "k" }), job()],
          T0,
          { leaseTo: { workerId: "w1", leaseMs: LEASE } },
        );
        assert.deepEqual(
          results.map((r) => [r.status, r.claimed !== undefined]),
          [
            ["inserted", false],
            ["inserted", false],
            ["duplicate", false],
            ["inserted", true],
          ],
        );
        assert.equal(results[2]?.id, first?.id);
        assert.equal((await store.queries.getJob(results[0]!.id))?.state, "scheduled");
        assert.equal((await store.queries.getJob(results[1]!.id))?.state, "available");
      });

      it("reads the runs of many jobs in one call, each job's oldest first", async () => {
        const [a, b, c] = await store.jobs.insertJobs([job(), job(), job()], T0);
        const claimed = await claim(3);
        const failed = claimed.find((j) => j.id === a!.id)!;
        await store.jobs.finishAttempts([
          finish(failed, {
            outcome: "failed",
            next: { state: "retry_scheduled", runAt: T0 },
            error: { message: "boom", stack: null },
          }),
          finish(claimed.find((j) => j.id === b!.id)!),
        ]);
        const [again] = await claim(1, T0 + 1);
        await store.jobs.finishAttempts([finish(again!)]);
        const runs = await store.queries.listRunsOfJobs([a!.id, b!.id, c!.id, "999999", "not-an-id"]);
        assert.deepEqual(
          [...runs].map(([id, rows]) => [id, rows.map((r) => [r.attempt, r.outcome])]),
          [
            [
              a!.id,
              [
                [1, "failed"],
                [2, "succeeded"],
              ],
            ],
            [b!.id, [[1, "succeeded"]]],
            [c!.id, []],
            ["999999", []],
            ["not-an-id", []],
          ],
        );
        assert.deepEqual(runs.get(a!.id), await store.queries.listJobRuns(a!.id));
        assert.equal((await store.queries.listRunsOfJobs([])).size, 0);
      });

      it("hints listeners when jobs are inserted", async () => {
        const hints: unknown[] = [];
        const off = store.onJobsInserted((hint) => hints.push(hint));
        await store.jobs.insertJobs([job({ queue: "mail", runAt: T0 + 10 })], T0);
        const deadline = Date.now() + 2_000;
        while (hints.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        off();
        assert.deepEqual(hints[0], { queues: ["mail"], earliestRunAt: T0 + 10 });
      });
    });

    describe("schedules", () => {
      it("syncs definitions: create, keep next fire when unchanged, update, remove", async () => {
        let report = await store.schedules.syncSchedules([schedule(), schedule({ id: "other" })], T0);
        assert.deepEqual(report.created.sort(), ["every-minute", "other"]);
        report = await store.schedules.syncSchedules(
          [schedule({ initialNextFireAt: T0 + 999 }), schedule({ id: "other" })],
          T0,
        );
        assert.deepEqual(changes(report), { created: [], updated: [], removed: [] });
        assert.equal((await store.queries.getSchedule("every-minute"))?.nextFireAt, T0 + 60_000);
        report = await store.schedules.syncSchedules(
          [schedule({ trigger: { kind: "every", intervalMs: 30_000 }, initialNextFireAt: T0 + 30_000 })],
          T0,
        );
        assert.deepEqual(changes(report), { created: [], updated: ["every-minute"], removed: ["other"] });
        assert.equal((await store.queries.getSchedule("every-minute"))?.nextFireAt, T0 + 30_000);
        assert.equal(await store.queries.getSchedule("other"), null);
      });

      it("fires a due tick once: tick row, keyed job, next fire advanced", async () => {
        await store.schedules.syncSchedules([schedule()], T0);
        assert.deepEqual(
          await store.schedules.fireDueSchedules({ now: T0 + 59_999, limit: 10, plan: planFor(T0 + 59_999) }),
          [],
        );
        const now = T0 + 60_010;
        const ticks = await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        assert.equal(ticks.length, 1);
        assert.equal(ticks[0]!.decision, "fired");
        assert.equal(ticks[0]!.nominalAt, T0 + 60_000);
        const jobRow = await store.queries.getJob(ticks[0]!.jobId!);
        assert.equal(jobRow?.scheduleId, "every-minute");
        assert.equal(jobRow?.nominalAt, T0 + 60_000);
        assert.equal(jobRow?.stateKey, "schedule:every-minute");
        const s = await store.queries.getSchedule("every-minute");
        assert.equal(s?.nextFireAt, T0 + 120_000);
        assert.equal(s?.lastFireAt, T0 + 60_000);
        assert.deepEqual(await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) }), []);
        assert.equal(await store.queries.nextScheduleFireAt(), T0 + 120_000);
      });

      it("fires each tick exactly once when two schedulers race", async () => {
        const other = await h!.openAnother();
        await store.schedules.syncSchedules(
          [schedule({ trigger: { kind: "every", intervalMs: 1_000 }, initialNextFireAt: T0 + 1_000 })],
          T0,
        );
        const fired: number[] = [];
        for (let i = 1; i <= 20; i++) {
          const now = T0 + i * 1_000 + 3;
          const results = await Promise.all([
            store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) }),
            other.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) }),
          ]);
          for (const t of results.flat()) if (t.decision === "fired") fired.push(t.nominalAt);
        }
        assert.equal(fired.length, 20);
        assert.equal(new Set(fired).size, 20);
        const ticks = await store.queries.listTicks("every-minute", { limit: 100 });
        assert.equal(ticks.length, 20);
        assert.equal((await store.queries.listJobs({ type: "test", limit: 100 })).length, 20);
      });

      it("records paused and overlapping ticks as skipped, with no job", async () => {
        await store.schedules.syncSchedules([schedule({ overlap: "skip" })], T0);
        await store.schedules.setSchedulePaused("every-minute", true, T0);
        let now = T0 + 60_001;
        let ticks = await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        assert.deepEqual(
          ticks.map((t) => [t.decision, t.reason, t.jobId]),
          [["skipped", "paused", null]],
        );
        assert.equal((await store.schedules.setSchedulePaused("every-minute", false, now)).paused, false);
        now = T0 + 120_001;
        ticks = await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        assert.equal(ticks[0]?.decision, "fired");
        now = T0 + 180_001; // the previous job has not run yet: overlap
        ticks = await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        assert.deepEqual(
          ticks.map((t) => [t.decision, t.reason]),
          [["skipped", "overlap"]],
        );
        const rows = await store.queries.listTicks("every-minute");
        assert.deepEqual(
          rows.map((r) => r.decision),
          ["skipped", "fired", "skipped"],
        );
      });

      it("records the fired job's actual start on its tick", async () => {
        await store.schedules.syncSchedules([schedule()], T0);
        const now = T0 + 60_000;
        const [tick] = await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        const [c] = await claim(10, now + 7);
        assert.equal(c?.scheduleId, "every-minute");
        assert.equal(c?.nominalAt, T0 + 60_000);
        await store.jobs.finishAttempts([
          finish(c!, { tick: { scheduleId: "every-minute", nominalAt: tick!.nominalAt } }),
        ]);
        const [row] = await store.queries.listTicks("every-minute");
        assert.equal(row?.startedAt, now + 7);
        assert.equal(row?.jobId, tick!.jobId);
      });

      it("finishes an `at` schedule after its one fire", async () => {
        await store.schedules.syncSchedules(
          [schedule({ id: "once", trigger: { kind: "at", at: T0 + 5_000 }, initialNextFireAt: T0 + 5_000 })],
          T0,
        );
        const now = T0 + 5_000;
        assert.equal(
          (await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) })).length,
          1,
        );
        assert.equal((await store.queries.getSchedule("once"))?.nextFireAt, null);
        assert.equal(await store.queries.nextScheduleFireAt(), null);
      });

      it("reads the latest ticks of many schedules in one call, newest first", async () => {
        await store.schedules.syncSchedules(
          [schedule(), schedule({ id: "quiet", initialNextFireAt: T0 + 3_600_000 })],
          T0,
        );
        for (const minute of [1, 2, 3]) {
          const now = T0 + minute * 60_000 + 10;
          await store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });
        }
        const latest = await store.queries.latestTicks(["every-minute", "quiet", "unknown"], 2);
        assert.deepEqual(
          [...latest].map(([id, ticks]) => [id, ticks.map((t) => t.nominalAt)]),
          [
            ["every-minute", [T0 + 180_000, T0 + 120_000]],
            ["quiet", []],
            ["unknown", []],
          ],
        );
        assert.deepEqual(
          latest.get("every-minute"),
          await store.queries.listTicks("every-minute", { limit: 2 }),
        );
      });

      it("rejects pausing an unknown schedule", async () => {
        await assert.rejects(store.schedules.setSchedulePaused("nope", true, T0), /not found/);
      });
    });
  });
}
