import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MonitorDefinitionRow } from "../../src/store/ports/rows.ts";
import type { JobsInsertedHint, Store } from "../../src/store/store.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { freshHarnessPerTest, job, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

const gatingMonitor: MonitorDefinitionRow = {
  name: "api",
  jobType: "monitor.api",
  target: "GET http://127.0.0.1/health",
  intervalMs: 30_000,
  timeoutMs: 5_000,
  riseAfter: 2,
  fallAfter: 3,
  gates: ["payments"],
  gateUnknown: true,
};

/** store.queues (ports/queue-store.ts): a paused queue is claimed from by no process until resumed. */
export function runQueueStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`queue store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });
    const claimed = async (s: Store) =>
      (await s.jobs.claimJobs({ workerId: "w1", queues: undefined, limit: 10, leaseMs: 30_000, now: T0 }))
        .map((j) => j.queue)
        .sort();

    it("pauses a queue for every process: its jobs are not claimed, others are; resume lets them go", async () => {
      await store.jobs.insertJobs(
        [job({ queue: "payments" }), job({ queue: "payments" }), job({ queue: "mail" })],
        T0,
      );
      assert.equal(await store.queues.pauseQueue("payments", T0), true);
      assert.equal(await store.queues.pauseQueue("payments", T0 + 1), false, "idempotent");
      assert.deepEqual(await store.queries.listPausedQueues(), [{ queue: "payments", pausedAt: T0 }]);
      const other = await h!.openAnother();
      assert.deepEqual(await claimed(other), ["mail"], "another process skips the paused queue too");
      assert.equal(await store.queues.resumeQueue("payments"), true);
      assert.equal(await store.queues.resumeQueue("payments"), false, "idempotent");
      assert.deepEqual(await store.queries.listPausedQueues(), []);
      assert.deepEqual(await claimed(other), ["payments", "payments"]);
    });

    it("a job inserted leased to an idle worker is not leased while its queue is paused", async () => {
      await store.queues.pauseQueue("payments", T0);
      const [inserted] = await store.jobs.insertJobs([job({ queue: "payments" })], T0, {
        leaseTo: { workerId: "w1", leaseMs: 30_000 },
      });
      assert.equal(inserted?.claimed, undefined, "inserted unleased: the pause holds it");
      assert.deepEqual(await claimed(store), []);
    });

    it("a pause and a monitor's gate are separate holds: the queue opens when neither holds it", async () => {
      await store.jobs.insertJobs([job({ queue: "payments" })], T0);
      await store.monitors.syncMonitors([gatingMonitor], T0); // UNKNOWN with gateUnknown: closed
      await store.queues.pauseQueue("payments", T0);
      await store.monitors.syncMonitors([], T0); // the monitor goes, with its gate; the pause stays
      assert.deepEqual(await claimed(store), []);
      assert.deepEqual(await store.queries.listPausedQueues(), [{ queue: "payments", pausedAt: T0 }]);
      await store.monitors.syncMonitors([gatingMonitor], T0);
      await store.queues.resumeQueue("payments");
      assert.deepEqual(await claimed(store), [], "the monitor still holds it closed");
      await store.monitors.syncMonitors([], T0);
      assert.deepEqual(await claimed(store), ["payments"]);
    });

    it("resuming hints the queue's waiting jobs to every process's workers", async () => {
      const other = await h!.openAnother();
      const hints: JobsInsertedHint[] = [];
      const unsubscribe = other.onJobsInserted((hint) => hints.push(hint));
      try {
        await store.queues.pauseQueue("payments", T0);
        await store.queues.resumeQueue("payments");
        await waitFor(() => hints.some((hint) => hint.queues.includes("payments")), "a hint for payments");
      } finally {
        unsubscribe();
      }
    });
  });
}
