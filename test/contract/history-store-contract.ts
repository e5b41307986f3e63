import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Store } from "../../src/store/store.ts";
import { finish, freshHarnessPerTest, job, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The history side of the store contract (spec §11), run against every adapter: job attempts
 * folded into per-queue rollups in bounded batches exactly once, finished jobs pruned only behind
 * the folds and in batches, and the rollup reads (windows summed in SQL).
 */
export function runHistoryStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`history store contract: ${name}`, () => {
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      store = fresh.store;
    });

    /** Runs `outcomes.length` jobs of `queue` to their end, one attempt each. */
    async function runJobs(queue: string, outcomes: ("succeeded" | "failed")[]): Promise<string[]> {
      await store.jobs.insertJobs(
        outcomes.map(() => job({ queue, maxAttempts: 1 })),
        T0,
      );
      const claimed = await store.jobs.claimJobs({
        workerId: "w1",
        queues: [queue],
        limit: outcomes.length,
        leaseMs: 30_000,
        now: T0,
      });
      assert.equal(claimed.length, outcomes.length);
      await store.jobs.finishAttempts(
        claimed.map((c, i) =>
          outcomes[i] === "succeeded"
            ? finish(c)
            : finish(c, {
                outcome: "failed",
                next: { state: "discarded" },
                error: { message: "boom", stack: null },
              }),
        ),
      );
      return claimed.map((c) => c.id);
    }

    it("folds job attempts per queue in batches, once, and prunes finished jobs only behind the fold", async () => {
      const ids = await runJobs("mail", ["succeeded", "succeeded", "failed"]);
      await runJobs("reports", ["failed"]);
      // Nothing is pruned before the attempts are counted.
      assert.equal(await store.history.pruneJobs({ before: T0 + DAY, batch: 10 }), 0);
      assert.ok(await store.queries.getJob(ids[0]!));

      const first = await store.history.foldJobRuns({ before: T0 + HOUR, batch: 3 });
      assert.deepEqual(first, { folded: 3, more: true });
      const second = await store.history.foldJobRuns({ before: T0 + HOUR, batch: 3 });
      assert.deepEqual(second, { folded: 1, more: false });
      assert.deepEqual(await store.history.foldJobRuns({ before: T0 + HOUR, batch: 3 }), {
        folded: 0,
        more: false,
      });

      const days = await store.queries.listRollups({
        subject: "queue",
        period: "day",
        from: T0 - DAY,
        to: T0 + DAY,
      });
      const byQueue = new Map(days.map((r) => [r.name, r.counts]));
      assert.equal(byQueue.get("mail")?.total, 3);
      assert.equal(byQueue.get("mail")?.succeeded, 2);
      assert.equal(byQueue.get("mail")?.failed, 1);
      assert.equal(byQueue.get("reports")?.failed, 1);
      const [mail] = days.filter((r) => r.name === "mail");
      assert.equal(mail?.duration.count, 3, "every attempt's duration is measured");

      // Bounded batches, oldest finished first; the rollups keep the counts.
      assert.equal(await store.history.pruneJobs({ before: T0 + DAY, batch: 3 }), 3);
      assert.equal(await store.history.pruneJobs({ before: T0 + DAY, batch: 3 }), 1);
      assert.equal(await store.history.pruneJobs({ before: T0 + DAY, batch: 3 }), 0);
      assert.equal(await store.queries.getJob(ids[0]!), null);
      assert.deepEqual(await store.queries.listJobRuns(ids[0]!), []);
      const after = await store.queries.listRollups({
        subject: "queue",
        period: "hour",
        from: T0 - DAY,
        to: T0 + DAY,
      });
      assert.equal(
        after.reduce((n, r) => n + r.counts.total, 0),
        4,
      );
    });

    it("keeps attempts that ended after the cut-off for a later fold", async () => {
      await runJobs("mail", ["succeeded"]);
      assert.deepEqual(await store.history.foldJobRuns({ before: T0, batch: 10 }), {
        folded: 0,
        more: false,
      });
      assert.equal(await store.history.pruneJobs({ before: T0 + DAY, batch: 10 }), 0, "not folded: kept");
      assert.deepEqual(await store.history.foldJobRuns({ before: T0 + HOUR, batch: 10 }), {
        folded: 1,
        more: false,
      });
    });

    it("folds monitor transitions into uptime per hour, then prunes all but each monitor's latest", async () => {
      const MIN = 60_000;
      const definition = {
        name: "api",
        jobType: "monitor.api",
        target: "GET http://127.0.0.1/health",
        intervalMs: 30_000,
        timeoutMs: 5_000,
        riseAfter: 1,
        fallAfter: 1,
        gates: [],
        gateUnknown: false,
      };
      await store.monitors.syncMonitors([definition], T0);
      const steps: [number, "UNKNOWN" | "ONLINE" | "OFFLINE", "ONLINE" | "OFFLINE"][] = [
        [0, "UNKNOWN", "ONLINE"],
        [30 * MIN, "ONLINE", "OFFLINE"],
        [45 * MIN, "OFFLINE", "ONLINE"],
      ];
      for (const [i, [offset, from, to]] of steps.entries()) {
        const ok = to === "ONLINE";
        await store.monitors.recordCheck({
          definition,
          seq: i + 1,
          state: to,
          successes: ok ? 1 : 0,
          failures: ok ? 0 : 1,
          check: { at: T0 + offset, ok, durationMs: 5, error: ok ? null : "HTTP 500" },
          transition: { from, to },
          closedQueues: [],
        });
      }
      assert.equal(
        await store.history.pruneTransitions({ before: T0 + DAY, batch: 10 }),
        0,
        "not folded yet",
      );
      assert.deepEqual(await store.history.foldMonitors({ before: T0 + 2 * HOUR, batch: 2 }), {
        folded: 2,
        more: true,
      });
      assert.deepEqual(await store.history.foldMonitors({ before: T0 + 2 * HOUR, batch: 2 }), {
        folded: 1,
        more: false,
      });
      const hours = await store.queries.listRollups({
        subject: "monitor",
        period: "hour",
        from: T0,
        to: T0 + DAY,
      });
      assert.deepEqual(
        hours.map((r) => [r.bucketStart - T0, r.upMs, r.observedMs, r.counts.total]),
        [
          [0, 45 * MIN, 60 * MIN, 3],
          [HOUR, 60 * MIN, 60 * MIN, 0],
        ],
      );
      assert.equal(await store.history.pruneTransitions({ before: T0 + DAY, batch: 10 }), 2);
      assert.deepEqual(
        (await store.queries.listTransitions("api")).map((t) => t.seq),
        [3],
        "the latest transition (the current state) is kept",
      );
      // The current state goes on counting from the watermark, without the pruned rows.
      await store.history.foldMonitors({ before: T0 + 3 * HOUR, batch: 10 });
      const [day] = await store.queries.listRollups({
        subject: "monitor",
        period: "day",
        from: T0 - DAY,
        to: T0 + DAY,
      });
      assert.deepEqual([day?.upMs, day?.observedMs], [165 * MIN, 180 * MIN]);
    });

    it("sums rollups per name and window in one read", async () => {
      await runJobs("mail", ["succeeded", "failed"]);
      await store.history.foldJobRuns({ before: T0 + HOUR, batch: 10 });
      const sums = await store.queries.sumRollups({
        subject: "queue",
        period: "day",
        since: [T0 - 10 * DAY, T0 + DAY],
        to: T0 + 2 * DAY,
      });
      assert.equal(sums.get("mail")?.[0]?.total, 2);
      assert.equal(sums.get("mail")?.[0]?.succeeded, 1);
      assert.equal(sums.get("mail")?.[1]?.total, 0, "the second window starts after the day's bucket");
    });
  });
}
