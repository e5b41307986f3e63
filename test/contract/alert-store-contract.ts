import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { IncidentEventInput } from "../../src/store/ports/alerts.ts";
import type { CheckDefinitionRow } from "../../src/store/ports/checks.ts";
import type { Store } from "../../src/store/store.ts";
import { freshHarnessPerTest, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

function event(overrides: Partial<IncidentEventInput> = {}): IncidentEventInput {
  return {
    rule: "failing",
    subject: "schedule:nightly",
    kind: "open",
    seq: 1,
    openedAt: T0,
    at: T0,
    summary: "nightly is failing",
    channels: ["ops", "mail"],
    silenced: false,
    ...overrides,
  };
}

function check(overrides: Partial<CheckDefinitionRow> = {}): CheckDefinitionRow {
  return {
    key: "backup",
    trigger: JSON.stringify({ kind: "every", intervalMs: 60_000 }),
    graceMs: 10_000,
    tokenHash: null,
    generatedToken: "gen-token-1",
    generatedTokenHash: hash("gen-token-1"),
    ...overrides,
  };
}

/** The alert and check-in side of the store contract (spec §12), run against every adapter. */
export function runAlertStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`alert store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    it("an open event creates one incident and one delivery per channel; a repeat creates nothing", async () => {
      if (!h) return;
      const created = await store.alerts.recordEvaluation({
        tracks: [{ rule: "failing", subject: "schedule:nightly", track: '{"v":1}', updatedAt: T0 }],
        events: [event()],
      });
      assert.deepEqual(
        created.map((d) => [d.channel, d.event, d.seq, d.status]),
        [
          ["ops", "open", 1, "pending"],
          ["mail", "open", 1, "pending"],
        ],
      );
      const [incident] = await store.queries.listIncidents();
      assert.equal(incident?.status, "open");
      assert.equal(created[0]?.dedupeKey, `alert:${incident?.id}:1:ops`);
      // Another process evaluating the same event (same seq): no new incident, no new delivery.
      const again = await store.alerts.recordEvaluation({ tracks: [], events: [event()] });
      assert.deepEqual(again, []);
      assert.equal((await store.queries.listIncidents()).length, 1);
      assert.equal((await store.queries.listDeliveries()).length, 2);
      const [track] = await store.queries.listAlertTracks();
      assert.equal(track?.track, '{"v":1}');
    });

    it("renotify and resolve go to the open incident; a resolved incident lets a new one open", async () => {
      if (!h) return;
      await store.alerts.recordEvaluation({ tracks: [], events: [event({ channels: ["ops"] })] });
      await store.alerts.recordEvaluation({
        tracks: [],
        events: [event({ kind: "renotify", seq: 2, at: T0 + 1000, channels: ["ops"], summary: "still" })],
      });
      const resolved = await store.alerts.recordEvaluation({
        tracks: [],
        events: [event({ kind: "resolve", seq: 3, at: T0 + 2000, channels: ["ops"] })],
      });
      assert.equal(resolved[0]?.event, "resolve");
      const [first] = await store.queries.listIncidents();
      assert.deepEqual(
        [first?.status, first?.seq, first?.resolvedAt, first?.lastNotifiedAt],
        ["resolved", 3, T0 + 2000, T0 + 1000],
      );
      // A resolve with nothing open writes nothing.
      assert.deepEqual(
        await store.alerts.recordEvaluation({ tracks: [], events: [event({ kind: "resolve", seq: 4 })] }),
        [],
      );
      await store.alerts.recordEvaluation({
        tracks: [],
        events: [event({ openedAt: T0 + 5000, at: T0 + 5000 })],
      });
      const incidents = await store.queries.listIncidents();
      assert.equal(incidents.length, 2);
      assert.equal((await store.queries.listIncidents({ status: "open" }))[0]?.openedAt, T0 + 5000);
      assert.equal((await store.queries.listDeliveries({ incidentId: first!.id })).length, 3);
    });

    it("a silenced event stores its deliveries as silenced", async () => {
      if (!h) return;
      const [d] = await store.alerts.recordEvaluation({
        tracks: [],
        events: [event({ silenced: true, channels: ["ops"] })],
      });
      assert.equal(d?.status, "silenced");
      assert.deepEqual(await store.queries.listDeliveries({ status: "pending" }), []);
    });

    it("records every delivery attempt: failures keep it pending, a success makes it sent", async () => {
      if (!h) return;
      const [d] = await store.alerts.recordEvaluation({ tracks: [], events: [event({ channels: ["ops"] })] });
      const id = d!.id;
      await store.alerts.recordDeliveryAttempt({
        deliveryId: id,
        attempt: 1,
        at: T0 + 1,
        durationMs: 5,
        ok: false,
        detail: "HTTP 503",
        final: false,
      });
      let row = await store.queries.getDelivery(id);
      assert.deepEqual([row?.status, row?.attempts, row?.lastError], ["pending", 1, "HTTP 503"]);
      await store.alerts.recordDeliveryAttempt({
        deliveryId: id,
        attempt: 2,
        at: T0 + 2,
        durationMs: 7,
        ok: true,
        detail: "HTTP 200",
        final: false,
      });
      row = await store.queries.getDelivery(id);
      assert.deepEqual([row?.status, row?.attempts, row?.sentAt, row?.lastError], ["sent", 2, T0 + 2, null]);
      const attempts = await store.queries.listDeliveryAttempts(id);
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.ok, a.detail, a.durationMs]),
        [
          [1, false, "HTTP 503", 5],
          [2, true, "HTTP 200", 7],
        ],
      );
      await store.alerts.recordDeliveryAttempt({
        deliveryId: "999999",
        attempt: 1,
        at: T0,
        durationMs: 1,
        ok: true,
        detail: "x",
        final: true,
      });
      assert.equal(await store.queries.getDelivery("999999"), null);
      assert.equal(await store.queries.getDelivery("not-an-id"), null);
    });

    it("a final failed attempt makes the delivery failed", async () => {
      if (!h) return;
      const [d] = await store.alerts.recordEvaluation({ tracks: [], events: [event({ channels: ["ops"] })] });
      await store.alerts.recordDeliveryAttempt({
        deliveryId: d!.id,
        attempt: 1,
        at: T0,
        durationMs: 1,
        ok: false,
        detail: "refused",
        final: true,
      });
      assert.equal((await store.queries.getDelivery(d!.id))?.status, "failed");
    });

    it("silences are listed while active and can be ended", async () => {
      if (!h) return;
      await store.alerts.addSilence({
        id: "s1",
        rule: "failing",
        subject: null,
        until: T0 + 60_000,
        reason: "deploy",
        createdAt: T0,
      });
      await store.alerts.addSilence({
        id: "s2",
        rule: null,
        subject: "check:backup",
        until: T0 + 10,
        reason: "x",
        createdAt: T0,
      });
      assert.deepEqual(
        (await store.queries.listSilences({ activeAt: T0 + 100 })).map((s) => s.id),
        ["s1"],
      );
      assert.deepEqual(
        (await store.queries.listSilences()).map((s) => s.id),
        ["s1", "s2"],
      );
      assert.equal(await store.alerts.endSilence("s1", T0 + 200), true);
      assert.equal(await store.alerts.endSilence("nope", T0), false);
      assert.deepEqual(await store.queries.listSilences({ activeAt: T0 + 300 }), []);
      const [s1] = await store.queries.listSilences();
      assert.deepEqual([s1?.id, s1?.until, s1?.reason, s1?.subject], ["s1", T0 + 200, "deploy", null]);
    });

    it("syncs checks: a generated token is kept, a configured one replaces it; removed checks go", async () => {
      if (!h) return;
      await store.checks.syncChecks(
        [check(), check({ key: "report", generatedToken: "g2", generatedTokenHash: hash("g2") })],
        T0,
      );
      const first = await store.queries.getCheck("backup");
      assert.deepEqual(
        [first?.tokenHash, first?.generatedToken, first?.pings],
        [hash("gen-token-1"), "gen-token-1", 0],
      );
      // A second process syncing with its own fresh token keeps the first one.
      await store.checks.syncChecks(
        [
          check({ generatedToken: "other", generatedTokenHash: hash("other"), graceMs: 5 }),
          check({ key: "report" }),
        ],
        T0 + 1,
      );
      const kept = await store.queries.getCheck("backup");
      assert.deepEqual([kept?.tokenHash, kept?.graceMs], [hash("gen-token-1"), 5]);
      assert.equal((await store.queries.getCheckByTokenHash(hash("gen-token-1")))?.key, "backup");
      // A configured token.
      await store.checks.syncChecks([check({ tokenHash: hash("configured") })], T0 + 2);
      const configured = await store.queries.getCheck("backup");
      assert.deepEqual([configured?.tokenHash, configured?.generatedToken], [hash("configured"), null]);
      assert.equal(await store.queries.getCheckByTokenHash(hash("gen-token-1")), null);
      assert.deepEqual(
        (await store.queries.listChecks()).map((c) => c.key),
        ["backup"],
      );
    });

    it("records pings: start, then success with its run time; a failure or exit code ends a run", async () => {
      if (!h) return;
      await store.checks.syncChecks([check()], T0);
      const started = await store.checks.recordPing({
        checkKey: "backup",
        at: T0 + 10,
        kind: "start",
        exitCode: null,
        body: "",
        durationMs: null,
        remote: "127.0.0.1",
      });
      assert.deepEqual([started?.lastStartAt, started?.lastEndAt, started?.pings], [T0 + 10, null, 1]);
      const ok = await store.checks.recordPing({
        checkKey: "backup",
        at: T0 + 50,
        kind: "success",
        exitCode: null,
        body: "done",
        durationMs: 40,
        remote: null,
      });
      assert.deepEqual([ok?.lastEndAt, ok?.lastEndOk, ok?.lastDurationMs, ok?.pings], [T0 + 50, true, 40, 2]);
      const failed = await store.checks.recordPing({
        checkKey: "backup",
        at: T0 + 90,
        kind: "exit",
        exitCode: 3,
        body: "tail\nof log",
        durationMs: null,
        remote: null,
      });
      assert.deepEqual([failed?.lastEndOk, failed?.lastDurationMs], [false, 40]);
      assert.equal(
        await store.checks.recordPing({
          checkKey: "nope",
          at: T0,
          kind: "success",
          exitCode: null,
          body: "",
          durationMs: null,
          remote: null,
        }),
        null,
      );
      const pings = await store.queries.listPings("backup");
      assert.deepEqual(
        pings.map((p) => [p.kind, p.exitCode, p.body]),
        [
          ["exit", 3, "tail\nof log"],
          ["success", null, "done"],
          ["start", null, ""],
        ],
      );
      assert.equal((await store.queries.listPings("backup", { limit: 1 })).length, 1);
    });
  });
}
