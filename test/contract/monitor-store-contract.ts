import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MonitorCheckRecord } from "../../src/store/ports/monitor-store.ts";
import type { MonitorDefinitionRow } from "../../src/store/ports/rows.ts";
import type { JobsInsertedHint, Store } from "../../src/store/store.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { freshHarnessPerTest, job, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const LEASE = 30_000;

function monitor(overrides: Partial<MonitorDefinitionRow> = {}): MonitorDefinitionRow {
  return {
    name: "api",
    jobType: "monitor.api",
    target: "GET http://127.0.0.1/health",
    intervalMs: 30_000,
    timeoutMs: 5_000,
    riseAfter: 2,
    fallAfter: 3,
    gates: ["payments"],
    gateUnknown: false,
    ...overrides,
  };
}

/** A counted check; by default a failure that leaves the monitor OFFLINE with its gates closed. */
function checkRecord(overrides: Partial<MonitorCheckRecord> = {}): MonitorCheckRecord {
  const definition = overrides.definition ?? monitor();
  return {
    definition,
    seq: 3,
    state: "OFFLINE",
    successes: 0,
    failures: 3,
    check: { at: T0, ok: false, durationMs: 12, error: "HTTP 500" },
    transition: { from: "UNKNOWN", to: "OFFLINE" },
    closedQueues: [...definition.gates],
    ...overrides,
  };
}

/**
 * The monitor side of the store contract (spec §5), run against every adapter: published state,
 * stored transitions, and queue gates that claimJobs honours across stores.
 */
export function runMonitorStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`monitor store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const claim = (s: Store, queues?: string[], limit = 50) =>
      s.jobs.claimJobs({ workerId: "w1", queues, limit, leaseMs: LEASE, now: T0 });
    const queuesOf = (jobs: { queue: string }[]) => [...new Set(jobs.map((j) => j.queue))].sort();

    it("syncMonitors inserts new monitors as UNKNOWN with no checks and keeps their gates open", async () => {
      const change = await store.monitors.syncMonitors([monitor()], T0);
      assert.deepEqual(change, { opened: [], closed: [] });
      const row = await store.queries.getMonitor("api");
      assert.ok(row);
      assert.equal(row.state, "UNKNOWN");
      assert.deepEqual([row.successes, row.failures, row.checks], [0, 0, 0]);
      assert.equal(row.lastCheck, null);
      assert.equal(row.lastTransition, null);
      assert.deepEqual(row.gates, ["payments"]);
      assert.deepEqual(row.closedQueues, []);
      assert.equal(row.target, "GET http://127.0.0.1/health");
      assert.deepEqual([row.intervalMs, row.timeoutMs, row.riseAfter, row.fallAfter], [30_000, 5_000, 2, 3]);
      assert.equal(row.createdAt, T0);
      assert.deepEqual(await store.queries.listClosedGates(), []);
      assert.equal(await store.queries.getMonitor("nope"), null);
    });

    it("with gateUnknown, an UNKNOWN monitor holds its gates closed from the start", async () => {
      const change = await store.monitors.syncMonitors([monitor({ gateUnknown: true })], T0);
      assert.deepEqual(change, { opened: [], closed: ["payments"] });
      assert.deepEqual(await store.queries.listClosedGates(), [
        { queue: "payments", monitor: "api", closedAt: T0 },
      ]);
    });

    it("recordCheck publishes state, counters and the last check, and stores the transition", async () => {
      await store.monitors.syncMonitors([monitor()], T0);
      await store.monitors.recordCheck(
        checkRecord({
          seq: 1,
          state: "UNKNOWN",
          successes: 1,
          failures: 0,
          check: { at: T0 + 1_000, ok: true, durationMs: 7, error: null },
          transition: null,
          closedQueues: [],
        }),
      );
      let row = (await store.queries.getMonitor("api"))!;
      assert.equal(row.state, "UNKNOWN");
      assert.deepEqual([row.successes, row.failures, row.checks], [1, 0, 1]);
      assert.deepEqual(row.lastCheck, { at: T0 + 1_000, ok: true, durationMs: 7, error: null });
      assert.equal(row.lastTransition, null);
      assert.deepEqual(await store.queries.listTransitions("api"), []);

      await store.monitors.recordCheck(
        checkRecord({
          seq: 2,
          state: "ONLINE",
          successes: 2,
          failures: 0,
          check: { at: T0 + 2_000, ok: true, durationMs: 9, error: null },
          transition: { from: "UNKNOWN", to: "ONLINE" },
          closedQueues: [],
        }),
      );
      await store.monitors.recordCheck(
        checkRecord({ seq: 5, check: { at: T0 + 5_000, ok: false, durationMs: 5_000, error: "timed out" } }),
      );
      row = (await store.queries.getMonitor("api"))!;
      assert.equal(row.state, "OFFLINE");
      assert.deepEqual([row.successes, row.failures, row.checks], [0, 3, 5]);
      assert.deepEqual(row.lastCheck, { at: T0 + 5_000, ok: false, durationMs: 5_000, error: "timed out" });
      const offline = {
        monitor: "api",
        seq: 5,
        at: T0 + 5_000,
        from: "UNKNOWN",
        to: "OFFLINE",
        successes: 0,
        failures: 3,
        error: "timed out",
      };
      assert.deepEqual(row.lastTransition, offline);
      assert.deepEqual(await store.queries.listTransitions("api"), [
        offline,
        {
          monitor: "api",
          seq: 2,
          at: T0 + 2_000,
          from: "UNKNOWN",
          to: "ONLINE",
          successes: 2,
          failures: 0,
          error: null,
        },
      ]);
      assert.equal((await store.queries.listTransitions("api", { limit: 1 })).length, 1);
    });

    it("a check recorded twice (same seq) stores one transition", async () => {
      await store.monitors.syncMonitors([monitor()], T0);
      await store.monitors.recordCheck(checkRecord());
      await store.monitors.recordCheck(
        checkRecord({ check: { at: T0 + 9, ok: false, durationMs: 1, error: "x" } }),
      );
      assert.equal((await store.queries.listTransitions("api")).length, 1);
    });

    it("a check error and a target with NUL bytes or lone surrogates are stored (issue 19), on every store", async () => {
      const poisoned = "upstream said \u0000 and \ud800 at once";
      await store.monitors.syncMonitors([monitor({ target: `GET http://127.0.0.1/\u0000health` })], T0);
      await store.monitors.recordCheck(
        checkRecord({ check: { at: T0, ok: false, durationMs: 3, error: poisoned } }),
      );
      const row = await store.queries.getMonitor("api");
      assert.equal(row?.lastCheck?.error, "upstream said \ufffd and \ufffd at once");
      assert.equal(row?.target, "GET http://127.0.0.1/\ufffdhealth");
      assert.equal(row?.state, "OFFLINE");
    });

    it("recordCheck inserts a monitor no process has synced yet", async () => {
      await store.monitors.recordCheck(checkRecord({ definition: monitor({ name: "fresh", gates: [] }) }));
      const row = await store.queries.getMonitor("fresh");
      assert.equal(row?.state, "OFFLINE");
      assert.equal(row?.jobType, "monitor.api");
      assert.equal(row?.createdAt, T0);
    });

    it("insertJobs with leaseTo never leases a job of a closed queue", async () => {
      await store.monitors.syncMonitors([monitor()], T0);
      await store.monitors.recordCheck(checkRecord());
      const leaseTo = { workerId: "w1", leaseMs: 30_000 };
      const [gated, open] = await store.jobs.insertJobs(
        [job({ queue: "payments" }), job({ queue: "default" })],
        T0,
        {
          leaseTo,
        },
      );
      assert.equal(gated?.claimed, undefined);
      assert.equal((await store.queries.getJob(gated!.id))?.state, "available");
      assert.equal(open?.claimed?.id, open?.id);
    });

    it("claimJobs never claims from a closed queue; other queues are unaffected; reopening releases them", async () => {
      await store.monitors.syncMonitors([monitor()], T0);
      await store.jobs.insertJobs(
        [job({ queue: "payments" }), job({ queue: "default" }), job({ queue: "payments", priority: 9 })],
        T0,
      );
      const closed = await store.monitors.recordCheck(checkRecord());
      assert.deepEqual(closed, { opened: [], closed: ["payments"] });
      assert.deepEqual(queuesOf(await claim(store)), ["default"]);
      assert.deepEqual(await claim(store, ["payments"]), []);
      assert.deepEqual(await claim(store, ["payments", "default"]), []);

      const opened = await store.monitors.recordCheck(
        checkRecord({
          seq: 5,
          state: "ONLINE",
          successes: 2,
          failures: 0,
          check: { at: T0 + 1, ok: true, durationMs: 1, error: null },
          transition: { from: "OFFLINE", to: "ONLINE" },
          closedQueues: [],
        }),
      );
      assert.deepEqual(opened, { opened: ["payments"], closed: [] });
      const released = await claim(store, ["payments"]);
      assert.equal(released.length, 2, "nothing was lost while the gate was closed");
      assert.deepEqual(await store.queries.listClosedGates(), []);
    });

    it("a queue stays closed while any monitor gating it is OFFLINE", async () => {
      const a = monitor({ name: "a", gates: ["payments"] });
      const b = monitor({ name: "b", gates: ["payments", "mail"] });
      await store.monitors.syncMonitors([a, b], T0);
      await store.jobs.insertJobs([job({ queue: "payments" }), job({ queue: "mail" })], T0);
      await store.monitors.recordCheck(checkRecord({ definition: a }));
      const bDown = await store.monitors.recordCheck(checkRecord({ definition: b }));
      assert.deepEqual(bDown, { opened: [], closed: ["mail"] });
      const aUp = await store.monitors.recordCheck(
        checkRecord({ definition: a, seq: 9, state: "ONLINE", transition: null, closedQueues: [] }),
      );
      assert.deepEqual(aUp, { opened: [], closed: [] }, "b still holds payments closed");
      assert.deepEqual(await claim(store), []);
      assert.deepEqual(
        (await store.queries.listClosedGates()).map((g) => `${g.queue}:${g.monitor}`),
        ["mail:b", "payments:b"],
      );
      const bUp = await store.monitors.recordCheck(
        checkRecord({ definition: b, seq: 9, state: "ONLINE", transition: null, closedQueues: [] }),
      );
      assert.deepEqual(bUp, { opened: ["mail", "payments"], closed: [] });
      assert.deepEqual(queuesOf(await claim(store)), ["mail", "payments"]);
    });

    it("a gate closed through one store holds for every other store on the database", async () => {
      const other = await h!.openAnother();
      await store.monitors.syncMonitors([monitor()], T0);
      await other.jobs.insertJobs([job({ queue: "payments" }), job({ queue: "default" })], T0);
      await store.monitors.recordCheck(checkRecord());
      assert.deepEqual(queuesOf(await claim(other)), ["default"]);
      assert.deepEqual((await other.queries.getMonitor("api"))?.closedQueues, ["payments"]);
    });

    it("a gate that opens wakes workers: other stores hear a hint for the queue", async () => {
      const other = await h!.openAnother();
      const hints: JobsInsertedHint[] = [];
      other.onJobsInserted((hint) => hints.push(hint));
      await store.monitors.syncMonitors([monitor()], T0);
      await store.monitors.recordCheck(checkRecord());
      // A push-notify store's listener connects lazily: keep opening until a hint arrives.
      await waitFor(
        async () => {
          await store.monitors.recordCheck(checkRecord({ seq: 7, transition: null }));
          await store.monitors.recordCheck(
            checkRecord({ seq: 8, state: "ONLINE", transition: null, closedQueues: [] }),
          );
          return hints.some((x) => x.queues.includes("payments") && x.earliestRunAt <= T0);
        },
        "a hint for the reopened queue",
        10_000,
        100,
      );
    });

    it("syncMonitors keeps state, reopens queues taken out of gates and drops monitors no longer defined", async () => {
      await store.monitors.syncMonitors(
        [monitor({ gates: ["payments", "mail"] }), monitor({ name: "old" })],
        T0,
      );
      await store.monitors.recordCheck(checkRecord({ closedQueues: ["payments", "mail"] }));
      await store.monitors.recordCheck(
        checkRecord({ definition: monitor({ name: "old", gates: ["reports"] }) }),
      );
      const change = await store.monitors.syncMonitors(
        [monitor({ gates: ["payments"], fallAfter: 5 })],
        T0 + 10,
      );
      assert.deepEqual(change, { opened: ["mail", "reports"], closed: [] });
      const row = (await store.queries.getMonitor("api"))!;
      assert.equal(row.state, "OFFLINE", "state survives a redefinition");
      assert.equal(row.fallAfter, 5);
      assert.deepEqual(row.gates, ["payments"]);
      assert.deepEqual(row.closedQueues, ["payments"]);
      assert.equal(await store.queries.getMonitor("old"), null);
      assert.equal((await store.queries.listTransitions("old")).length, 1, "history stays");
      assert.deepEqual(
        (await store.queries.listMonitors()).map((m) => m.name),
        ["api"],
      );
      // Idempotent.
      assert.deepEqual(
        await store.monitors.syncMonitors([monitor({ gates: ["payments"], fallAfter: 5 })], T0),
        {
          opened: [],
          closed: [],
        },
      );
    });
  });
}
