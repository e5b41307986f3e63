import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotFoundError, ScheduleConflictError } from "../../src/errors.ts";
import type { ScheduleDefinitionRow } from "../../src/store/ports/rows.ts";
import type { CodeDeclaration } from "../../src/store/shared/schedule-deploys.ts";
import type { Store } from "../../src/store/store.ts";
import { planFor } from "../helpers/plan.ts";
import { freshHarnessPerTest, type StoreHarness, schedule } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const every = (ms: number, first = T0 + ms): Partial<ScheduleDefinitionRow> => ({
  trigger: { kind: "every", intervalMs: ms },
  initialNextFireAt: first,
});
const code = (hash: string, keys: string[], processId?: string, staleMs = 600_000): CodeDeclaration => ({
  codeHash: hash,
  scheduleKeys: keys,
  staleMs,
  ...(processId && { processId }),
});

/**
 * Runtime schedules (issue 24) on every store: upsert and remove, the source rule (a key is code
 * or runtime, never both; reconciliation never touches runtime ones), metadata filters, and the
 * code versions of rolling deploys.
 */
export function runScheduleRuntimeContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`runtime schedule contract: ${name}`, () => {
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      store = fresh.store;
    });

    it("upserts a runtime schedule: created, unchanged, updated keeping its place unless the trigger changed", async () => {
      const meta = { owner: "team-a", tenant: "acme", labels: { plan: "pro" } };
      let r = await store.schedules.upsertSchedule(schedule({ id: "r1", ...meta }), T0);
      assert.equal(r.status, "created");
      assert.equal(r.schedule.source, "runtime");
      assert.deepEqual(
        [r.schedule.owner, r.schedule.tenant, r.schedule.labels],
        ["team-a", "acme", { plan: "pro" }],
      );
      assert.equal(r.schedule.nextFireAt, T0 + 60_000);
      r = await store.schedules.upsertSchedule(
        schedule({ id: "r1", ...meta, initialNextFireAt: T0 + 5 }),
        T0,
      );
      assert.deepEqual([r.status, r.changed], ["unchanged", []]);
      r = await store.schedules.upsertSchedule(
        schedule({ id: "r1", ...meta, payload: '{"v":2}', initialNextFireAt: T0 + 5 }),
        T0 + 1_000,
      );
      assert.deepEqual([r.status, r.changed, r.schedule.nextFireAt], ["updated", ["payload"], T0 + 60_000]);
      r = await store.schedules.upsertSchedule(
        schedule({ id: "r1", ...meta, payload: '{"v":2}', ...every(30_000) }),
        T0 + 1_000,
      );
      assert.deepEqual([r.status, r.changed, r.schedule.nextFireAt], ["updated", ["trigger"], T0 + 30_000]);
      assert.equal((await store.queries.getSchedule("r1"))?.payload, '{"v":2}');
    });

    it("a trigger change keeps a due tick, and a new trigger landing on a decided tick does not fire it twice", async () => {
      await store.schedules.upsertSchedule(schedule({ id: "r", ...every(1_000) }), T0);
      // T0+1s is due at T0+1.5s but not decided yet: the change keeps it as the next fire.
      let r = await store.schedules.upsertSchedule(
        schedule({ id: "r", ...every(2_000, T0 + 2_000) }),
        T0 + 1_500,
      );
      assert.equal(r.schedule.nextFireAt, T0 + 1_000);
      let fired = await store.schedules.fireDueSchedules({
        now: T0 + 1_500,
        limit: 10,
        plan: planFor(T0 + 1_500),
      });
      assert.deepEqual(
        fired.map((t) => [t.nominalAt, t.decision]),
        [[T0 + 1_000, "fired"]],
      );
      assert.equal((await store.queries.getSchedule("r"))?.nextFireAt, T0 + 2_000);
      fired = await store.schedules.fireDueSchedules({
        now: T0 + 2_000,
        limit: 10,
        plan: planFor(T0 + 2_000),
      });
      assert.deepEqual(
        fired.map((t) => t.nominalAt),
        [T0 + 2_000],
      );
      // Back to every second, computed from before the decided T0+2s: its tick key holds.
      r = await store.schedules.upsertSchedule(
        schedule({ id: "r", ...every(1_000, T0 + 2_000) }),
        T0 + 1_900,
      );
      fired = await store.schedules.fireDueSchedules({
        now: T0 + 3_000,
        limit: 10,
        plan: planFor(T0 + 3_000),
      });
      assert.deepEqual(
        fired.map((t) => t.nominalAt),
        [T0 + 3_000],
      );
      const ticks = await store.queries.listTicks("r");
      assert.deepEqual(ticks.map((t) => t.nominalAt).reverse(), [T0 + 1_000, T0 + 2_000, T0 + 3_000]);
    });

    it("removes a runtime schedule, keeping its ticks; unknown keys are not found", async () => {
      await store.schedules.upsertSchedule(schedule({ id: "gone" }), T0);
      await store.schedules.fireDueSchedules({ now: T0 + 60_000, limit: 10, plan: planFor(T0 + 60_000) });
      await store.schedules.removeSchedule("gone");
      assert.equal(await store.queries.getSchedule("gone"), null);
      assert.equal((await store.queries.listTicks("gone")).length, 1);
      await assert.rejects(store.schedules.removeSchedule("gone"), NotFoundError);
    });

    it("the source rule: code keys refuse runtime writes, reconciliation never touches runtime schedules", async () => {
      await store.schedules.syncSchedules([schedule({ id: "coded" })], T0);
      await assert.rejects(
        store.schedules.upsertSchedule(schedule({ id: "coded", payload: '"x"' }), T0),
        (e) => e instanceof ScheduleConflictError && /declared in code/.test(e.message),
      );
      await assert.rejects(store.schedules.removeSchedule("coded"), ScheduleConflictError);
      assert.equal((await store.queries.getSchedule("coded"))?.payload, "null");
      await store.schedules.upsertSchedule(schedule({ id: "rt", payload: '"mine"' }), T0);
      // Code declaring the runtime key: a conflict, left as it is; a sync without it removes no runtime one.
      const report = await store.schedules.syncSchedules(
        [schedule({ id: "coded" }), schedule({ id: "rt" })],
        T0,
      );
      assert.deepEqual(report.conflicts, ["rt"]);
      const rt = await store.queries.getSchedule("rt");
      assert.deepEqual([rt?.source, rt?.payload], ["runtime", '"mine"']);
      const after = await store.schedules.syncSchedules([], T0);
      assert.deepEqual(after.removed, ["coded"]);
      assert.equal((await store.queries.getSchedule("rt"))?.source, "runtime");
    });

    it("lists by source, owner, tenant and labels", async () => {
      await store.schedules.syncSchedules([schedule({ id: "c1", owner: "ops" })], T0);
      const rows = [
        schedule({ id: "a", owner: "ops", tenant: "t1", labels: { tier: "gold", region: "eu" } }),
        schedule({ id: "b", owner: "dev", tenant: "t1", labels: { tier: "gold" } }),
        schedule({ id: "c", tenant: "t2", labels: { tier: "free", region: "eu" } }),
      ];
      for (const row of rows) await store.schedules.upsertSchedule(row, T0);
      const ids = async (filter: Parameters<Store["queries"]["listSchedules"]>[0]) =>
        (await store.queries.listSchedules(filter)).map((s) => s.id);
      assert.deepEqual(await ids({}), ["a", "b", "c", "c1"]);
      assert.deepEqual(await ids({ source: "runtime" }), ["a", "b", "c"]);
      assert.deepEqual(await ids({ source: "code" }), ["c1"]);
      assert.deepEqual(await ids({ owner: "ops" }), ["a", "c1"]);
      assert.deepEqual(await ids({ tenant: "t1", owner: "dev" }), ["b"]);
      assert.deepEqual(await ids({ labels: { region: "eu" } }), ["a", "c"]);
      assert.deepEqual(await ids({ labels: { region: "eu", tier: "gold" } }), ["a"]);
      assert.deepEqual(await ids({ labels: { tier: "none" } }), []);
    });

    it("rolling deploys: the newest code version reconciles, an older one beside it writes nothing", async () => {
      const a = [schedule({ id: "shared" }), schedule({ id: "only-a" })];
      const b = [schedule({ id: "shared" }), schedule({ id: "only-b" })];
      const A = ["shared", "only-a"];
      const B = ["shared", "only-b"];
      let report = await store.schedules.syncSchedules(a, T0, code("hash-a", A, "a1"));
      assert.deepEqual(
        [report.deploy?.role, report.deploy?.version, report.created],
        ["newest", 1, ["shared", "only-a"]],
      );
      // B deploys while a1 runs: a new hash is the newest.
      report = await store.schedules.syncSchedules(b, T0 + 1_000, code("hash-b", B, "b1"));
      assert.deepEqual([report.deploy?.role, report.deploy?.version], ["newest", 2]);
      assert.deepEqual([report.created, report.removed], [["only-b"], ["only-a"]]);
      // A process of version A (re)starting while b1 runs: it writes no schedule.
      report = await store.schedules.syncSchedules(a, T0 + 2_000, code("hash-a", A, "a2"));
      assert.equal(report.deploy?.role, "older");
      assert.deepEqual([report.created, report.updated, report.removed], [[], [], []]);
      assert.equal(await store.queries.getSchedule("only-a"), null);
      assert.equal((await store.queries.getSchedule("only-b"))?.declaredBy, "hash-b");
      const deploys = await store.queries.listScheduleDeploys();
      assert.deepEqual(
        deploys.map((d) => [d.codeHash, d.version, d.scheduleKeys]),
        [
          ["hash-b", 2, ["only-b", "shared"]],
          ["hash-a", 1, ["only-a", "shared"]],
        ],
      );
      assert.deepEqual((await store.queries.liveDeployHashes(T0)).sort(), ["hash-a", "hash-b"]);
      // b1 keeps checking in: a sync without a process (a script) is older too.
      await store.schedules.touchDeploy("hash-b", "b1", T0 + 5_000);
      assert.equal((await store.queries.listScheduleDeploys())[0]?.lastSeenAt, T0 + 5_000);
      report = await store.schedules.syncSchedules(a, T0 + 6_000, code("hash-a", A, undefined, 5_000));
      assert.equal(report.deploy?.role, "older");
      // b1 not seen for longer than staleMs (it crashed): A takes over (a rollback).
      report = await store.schedules.syncSchedules(a, T0 + 10_001, code("hash-a", A, "a3", 5_000));
      assert.deepEqual(
        [
          report.deploy?.role,
          report.deploy?.role === "newest" && report.deploy.registered,
          report.deploy?.version,
        ],
        ["newest", "takeover", 3],
      );
      assert.deepEqual([report.created, report.removed], [["only-a"], ["only-b"]]);
      // B again, then every B process stops: the next A start reconciles at once.
      report = await store.schedules.syncSchedules(b, T0 + 11_000, code("hash-b", B, "b2"));
      assert.equal(
        report.deploy?.role,
        "older",
        "hash-b is known and older than version 3, whose a3 is live",
      );
      await store.schedules.releaseDeploy("a3", T0 + 12_000);
      assert.equal(
        (await store.schedules.syncSchedules(b, T0 + 12_200, code("hash-b", B, "b2"))).deploy?.role,
        "older",
        "a2 and a1 still run A",
      );
      await store.schedules.releaseDeploy("a2", T0 + 12_300);
      await store.schedules.releaseDeploy("a1", T0 + 12_400);
      report = await store.schedules.syncSchedules(b, T0 + 12_500, code("hash-b", B, "b2"));
      assert.deepEqual([report.deploy?.role, report.deploy?.version], ["newest", 4]);
    });
  });
}
