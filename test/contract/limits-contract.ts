import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LimitRule } from "../../src/core/job-limits.ts";
import { limitRuleOf } from "../../src/core/limit-options.ts";
import type { ClaimedJob, JobInsert } from "../../src/store/ports/job-store.ts";
import type { Store } from "../../src/store/store.ts";
import { finish, freshHarnessPerTest, job, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const LEASE = 30_000;

/** Limits (spec §13) on every store: enforced in the claim, freed by finish, release and rescue. */
export function runLimitsContract(name: string, makeHarness: () => Promise<StoreHarness | undefined>): void {
  describe(`limits contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const claim = (rules: LimitRule[], limit = 10, now = T0, on: Store = store, workerId = "w1") =>
      on.jobs.claimJobs({ workerId, queues: undefined, limit, leaseMs: LEASE, now, rules });
    const insert = (jobs: JobInsert[], now = T0) => store.jobs.insertJobs(jobs, now);
    const many = (n: number, overrides: Partial<JobInsert> = {}) =>
      Array.from({ length: n }, () => job(overrides));
    const running = async () => (await store.queries.listJobs({ states: ["running"], limit: 1000 })).length;

    it("a queue's concurrency holds across claims and stores, and finish / release / rescue free slots", async () => {
      const rules = [limitRuleOf({ queue: "q", concurrency: 3 })];
      await insert([...many(10, { queue: "q" }), ...many(2, { queue: "free" })]);
      const first = await claim(rules);
      assert.equal(first.filter((j) => j.queue === "q").length, 3);
      assert.equal(
        first.filter((j) => j.queue === "free").length,
        2,
        "jobs no rule covers are claimed as usual",
      );
      const other = await h!.openAnother();
      try {
        assert.deepEqual(
          await claim(rules, 10, T0, other, "w2"),
          [],
          "another process sees the same slots in use",
        );
        const q = first.filter((j) => j.queue === "q");
        await store.jobs.finishAttempts([finish(q[0]!)]);
        assert.equal((await claim(rules, 10, T0 + 1, other, "w2")).length, 1, "a finish frees its slot");
        await store.jobs.releaseJobs("w1", [{ jobId: q[1]!.id, leaseToken: q[1]!.leaseToken }], T0 + 2);
        assert.equal((await claim(rules, 10, T0 + 3)).length, 1, "a release frees its slot");
        await store.jobs.rescueExpiredLeases(T0 + LEASE + 10);
        const rescued = await claim(rules, 10, T0 + LEASE + 11);
        assert.equal(rescued.filter((j) => j.queue === "q").length, 3, "expired leases free their slots");
      } finally {
        await other.close();
      }
    });

    it("a type's concurrency counts its jobs in every queue", async () => {
      const rules = [limitRuleOf({ type: "heavy", concurrency: 2 })];
      await insert([...many(3, { type: "heavy", queue: "a" }), ...many(3, { type: "heavy", queue: "b" })]);
      await insert(many(3, { type: "light", queue: "a" }));
      const got = await claim(rules);
      assert.equal(got.filter((j) => j.type === "heavy").length, 2);
      assert.equal(got.filter((j) => j.type === "light").length, 3);
    });

    it("concurrent claims from two stores never exceed the limit", async () => {
      const rules = [limitRuleOf({ queue: "q", concurrency: 4 })];
      await insert(many(40, { queue: "q" }));
      const other = await h!.openAnother();
      try {
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, i) => claim(rules, 3, T0, i % 2 ? other : store, `w${i}`)),
        );
        assert.equal(claims.flat().length, 4);
        assert.equal(await running(), 4);
      } finally {
        await other.close();
      }
    });

    it("per-key concurrency: a flooded key never holds back the other keys (no head-of-line blocking)", async () => {
      const rules = [limitRuleOf({ queue: "q", perKey: 1 })];
      await insert(many(30, { queue: "q", concurrencyKey: "flood" }));
      await insert(
        [job({ queue: "q", concurrencyKey: "b" }), job({ queue: "q", concurrencyKey: "c" })],
        T0 + 1,
      );
      await insert([job({ queue: "q" })], T0 + 2);
      const got = await claim(rules, 10, T0 + 5);
      const keys = got.map((j) => j.id).length;
      assert.equal(keys, 4, "one of flood, b, c and the keyless job");
      const again = await claim(rules, 10, T0 + 6);
      assert.deepEqual(again, [], "every key is at its cap; the flood's other jobs wait");
      const flood = got.find((j) => j.runAt === T0)!;
      await store.jobs.finishAttempts([finish(flood)]);
      assert.equal((await claim(rules, 10, T0 + 7)).length, 1, "the next flood job starts once one finishes");
    });

    it("rate limit: N starts per period (token bucket); a waiting job keeps its attempts", async () => {
      const rules = [limitRuleOf({ queue: "q", rate: { limit: 5, period: 1000 } })];
      await insert(many(20, { queue: "q" }));
      assert.equal((await claim(rules, 10, T0)).length, 5, "a full bucket: the burst is the limit");
      assert.equal((await claim(rules, 10, T0 + 10)).length, 0);
      assert.equal((await claim(rules, 10, T0 + 410)).length, 2, "refilled 5/s: 2 tokens after 400 ms");
      const waiting = await store.queries.listJobs({ states: ["available"], limit: 100 });
      assert.equal(waiting.length, 13);
      assert.ok(
        waiting.every((j) => j.attempt === 0),
        "rate-limited jobs spend no attempt",
      );
      assert.equal((await claim(rules, 20, T0 + 10_000)).length, 5, "the bucket holds at most the limit");
    });

    it("rate limit per key: each key has its own bucket", async () => {
      const rules = [limitRuleOf({ queue: "q", rate: { limit: 2, period: 60_000, perKey: true } })];
      await insert([
        ...many(5, { queue: "q", concurrencyKey: "a" }),
        ...many(5, { queue: "q", concurrencyKey: "b" }),
      ]);
      const got = await claim(rules, 10);
      assert.equal(got.length, 4);
      assert.equal((await claim(rules, 10, T0 + 100)).length, 0);
    });

    it("limitUsage shows running, per-key usage, tokens left and why jobs wait", async () => {
      const rules = [
        limitRuleOf({ queue: "q", concurrency: 2, perKey: 1 }),
        limitRuleOf({ queue: "r", rate: { limit: 1, period: 60_000 } }),
      ];
      await insert([
        ...many(3, { queue: "q", concurrencyKey: "a" }),
        ...many(2, { queue: "q", concurrencyKey: "b" }),
      ]);
      await insert(many(3, { queue: "r" }));
      await claim(rules, 10);
      const [q, r] = await store.queries.limitUsage(rules, T0 + 1);
      assert.equal(q!.running, 2);
      assert.equal(q!.waiting, 3);
      assert.equal(q!.waitingBy.concurrency, 3);
      assert.deepEqual(
        q!.keys.map((k) => [k.key, k.running, k.waiting]),
        [
          ["a", 1, 2],
          ["b", 1, 1],
        ],
      );
      assert.equal(r!.running, 1);
      assert.ok(r!.tokens !== null && r!.tokens < 1);
      assert.equal(r!.waitingBy.rate, 2);
    });

    it("a disabled type is not claimed nor inserted leased; enabled again, its jobs start in place", async () => {
      const [a] = await insert([job({ type: "t1" })]);
      await insert([job({ type: "t2" })], T0 + 1);
      assert.equal(await store.jobs.setTypePaused("t1", true, T0), true);
      assert.equal(await store.jobs.setTypePaused("t1", true, T0), false, "already disabled");
      assert.deepEqual(
        (await claim([])).map((j) => j.type),
        ["t2"],
      );
      assert.deepEqual(
        (await store.queries.listPausedTypes()).map((p) => p.type),
        ["t1"],
      );
      const [leased] = await store.jobs.insertJobs([job({ type: "t1" })], T0, {
        leaseTo: { workerId: "w1", leaseMs: LEASE },
      });
      assert.equal(leased!.claimed, undefined, "no lease for a disabled type");
      assert.equal(await store.jobs.setTypePaused("t1", false, T0), true);
      const got = await claim([], 10, T0 + 5);
      assert.equal(got[0]?.id, a!.id, "the oldest t1 job first: it kept its place");
      assert.equal(got.length, 2);
    });

    describe("debounce, throttle, singleton", () => {
      const d = (mode: "debounce" | "throttle" | "singleton", windowMs = 1000) => ({
        mode,
        key: "k",
        windowMs,
      });

      it("debounce replaces the pending job's payload and due time, keeping its id", async () => {
        const [a] = await insert([job({ dedupe: d("debounce"), runAt: T0 + 1000, payload: '{"v":1}' })]);
        const [b] = await insert(
          [job({ dedupe: d("debounce"), runAt: T0 + 1500, payload: '{"v":2}' })],
          T0 + 500,
        );
        assert.equal(a!.status, "inserted");
        assert.deepEqual([b!.status, b!.id], ["replaced", a!.id]);
        const row = await store.queries.getJob(a!.id);
        assert.deepEqual([row?.payload, row?.runAt], [{ v: 2 }, T0 + 1500]);
        const [c] = await claim([], 10, T0 + 1500);
        assert.equal(c?.id, a!.id);
        const [next] = await insert([job({ dedupe: d("debounce"), runAt: T0 + 3000 })], T0 + 2000);
        assert.equal(next!.status, "inserted", "a running job is not replaced: a new one waits");
      });

      it("singleton: one pending plus one running", async () => {
        const [a] = await insert([job({ dedupe: d("singleton") })]);
        const [dup] = await insert([job({ dedupe: d("singleton") })]);
        assert.deepEqual([dup!.status, dup!.id], ["duplicate", a!.id]);
        await claim([]);
        const [b] = await insert([job({ dedupe: d("singleton") })]);
        assert.equal(b!.status, "inserted", "one may wait while one runs");
        const [c] = await insert([job({ dedupe: d("singleton") })]);
        assert.deepEqual([c!.status, c!.id], ["duplicate", b!.id]);
      });

      it("throttle: extras within the window are dropped, even once the first has finished", async () => {
        const [a] = await insert([job({ dedupe: d("throttle", 10_000) })]);
        const [claimed] = (await claim([])) as ClaimedJob[];
        await store.jobs.finishAttempts([finish(claimed!)]);
        const [dup] = await insert([job({ dedupe: d("throttle", 10_000) })], T0 + 9_000);
        assert.deepEqual([dup!.status, dup!.id], ["duplicate", a!.id]);
        const [b] = await insert([job({ dedupe: d("throttle", 10_000) })], T0 + 10_001);
        assert.equal(b!.status, "inserted");
      });

      it("concurrent singleton enqueues from two stores insert one job", async () => {
        const other = await h!.openAnother();
        try {
          const results = await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              (i % 2 ? other : store).jobs.insertJobs([job({ dedupe: d("singleton") })], T0),
            ),
          );
          assert.equal(results.flat().filter((r) => r.status === "inserted").length, 1);
          assert.equal(new Set(results.flat().map((r) => r.id)).size, 1);
        } finally {
          await other.close();
        }
      });
    });
  });
}
