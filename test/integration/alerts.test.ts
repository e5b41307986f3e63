import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { defineSchedule } from "../../src/runtime/schedules.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgSkipReason } from "../helpers/pg.ts";
import {
  type Received,
  startReceiver,
  startSmtpReceiver,
  verifyStandardWebhook,
} from "../helpers/receivers.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const SECRET = `whsec_${Buffer.from("alerts-e2e-secret-0123456789abcd").toString("base64")}`;
const CHECK_TOKEN = "backup-check-token-0123456789";
const TICK_MS = 2_000;
const PERIOD_MS = 2_000;
const GRACE_MS = 1_000;

type Harness = { store: Store; cleanup(): Promise<void> };

/**
 * End to end on each store, with real receivers: a signed-webhook receiver that verifies every
 * signature, a Slack-compatible and a PagerDuty-compatible endpoint, and a real SMTP server.
 */
function alertsEndToEnd(name: string, open: () => Promise<Harness>, skip?: string) {
  describe(`alerts end to end: ${name}`, { skip }, () => {
    let h: Harness;
    let tickflow: Tickflow;
    let failing = true;
    const hook = { receiver: undefined as unknown as Awaited<ReturnType<typeof startReceiver>> };
    let slack: Awaited<ReturnType<typeof startReceiver>>;
    let pager: Awaited<ReturnType<typeof startReceiver>>;
    let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
    const unsigned: Received[] = [];

    before(async () => {
      hook.receiver = await startReceiver((r) => {
        if (!verifyStandardWebhook(SECRET, r)) {
          unsigned.push(r);
          return 401;
        }
        return 200;
      });
      slack = await startReceiver((r) => (Array.isArray(r.json.blocks) ? 200 : 400));
      pager = await startReceiver((r) => (r.json.routing_key === "PDKEY0123456789" ? 202 : 400));
      smtp = await startSmtpReceiver();
      h = await open();
      const nightly = defineJob("nightly", async () => {
        if (failing) throw new Error("the report database is gone");
      });
      tickflow = new Tickflow(
        h.store,
        {
          pollIntervalMs: 50,
          jobs: [nightly as never],
          schedules: [defineSchedule({ key: "nightly", job: nightly, every: TICK_MS, maxAttempts: 1 })],
          checks: [{ key: "backup", every: PERIOD_MS, grace: GRACE_MS, token: CHECK_TOKEN }],
          alerts: {
            channels: {
              hook: { kind: "webhook", url: hook.receiver.url, secret: SECRET },
              chat: { kind: "slack", url: slack.url },
              pager: { kind: "pagerduty", routingKey: "PDKEY0123456789", url: pager.url },
              mail: {
                kind: "email",
                smtp: `smtp://127.0.0.1:${smtp.port}`,
                from: "tf@example.test",
                to: "ops@example.test",
              },
            },
            rules: [
              {
                name: "nightly-failing",
                when: "schedule",
                target: "nightly",
                channels: ["hook", "pager"],
                resolveAfter: 1,
                renotify: null,
              },
              {
                name: "backup-down",
                when: "check",
                target: "backup",
                channels: ["hook", "chat", "mail"],
                resolveAfter: 1,
                renotify: null,
              },
            ],
            evaluateEvery: "250ms",
            deliveryRetry: { base: "100ms", max: "1s" },
          },
        },
        false,
      );
      await tickflow.start();
    });
    after(async () => {
      await tickflow.stop(0);
      await h.cleanup();
      await Promise.all([hook.receiver.stop(), slack.stop(), pager.stop(), smtp.close()]);
    });

    const hooks = (type: string, subject: string) =>
      hook.receiver.received.filter(
        (r) =>
          r.json.type === type &&
          (r.json.data as { incident: { subject: string } }).incident.subject === subject,
      );

    it("an always-failing schedule alerts within one tick; the recovery follows the fix within one tick", async () => {
      const firstFailure = await waitFor(
        async () =>
          (await tickflow.liveness.scheduleReports({ scheduleId: "nightly" }))[0]?.health.status ===
            "failing" && Date.now(),
        "the schedule to be failing",
        15_000,
      );
      const opened = await waitFor(
        () => hooks("incident.opened", "schedule:nightly")[0],
        "the open notice",
        TICK_MS + 5_000,
      );
      assert.ok(Date.now() - Number(firstFailure) <= TICK_MS + 1_000, "within one tick of the failure");
      assert.match(
        String((opened.json.data as { incident: { summary: string } }).incident.summary),
        /failing/,
      );
      await waitFor(
        () => pager.received.find((r) => r.json.event_action === "trigger"),
        "the PagerDuty trigger",
      );
      failing = false;
      const fixedAt = Date.now();
      await waitFor(
        () => hooks("incident.resolved", "schedule:nightly")[0],
        "the recovery notice",
        2 * TICK_MS + 5_000,
      );
      assert.ok(
        Date.now() - fixedAt <= 2 * TICK_MS + 2_000,
        `recovery ${Date.now() - fixedAt}ms after the fix`,
      );
      await waitFor(
        () => pager.received.find((r) => r.json.event_action === "resolve"),
        "the PagerDuty resolve",
      );
      const [incident] = await tickflow.alerts.incidents();
      assert.ok(incident);
    });

    it("a check-in that stops pinging alerts within period + grace + 10 s, by every channel", async () => {
      assert.ok(await tickflow.checks.pingByToken(CHECK_TOKEN, "success"));
      const lastPing = Date.now();
      const opened = await waitFor(
        () => hooks("incident.opened", "check:backup")[0],
        "the check's open notice",
        PERIOD_MS + GRACE_MS + 10_000,
      );
      assert.ok(Date.now() - lastPing <= PERIOD_MS + GRACE_MS + 10_000);
      assert.ok(Date.now() - lastPing >= PERIOD_MS + GRACE_MS, "not before it was down");
      assert.ok(opened);
      await waitFor(
        () => slack.received.find((r) => String(r.json.text).includes("check:backup")),
        "the Slack message",
      );
      await waitFor(
        () => smtp.messages.find((m) => /FIRING\] backup-down on check:backup/.test(m.raw)),
        "the email",
      );
      assert.ok(await tickflow.checks.pingByToken(CHECK_TOKEN, "success"));
      await waitFor(
        () => hooks("incident.resolved", "check:backup")[0],
        "the check's recovery notice",
        5_000,
      );
    });

    it("every notification was delivered exactly once per channel, signed, and every attempt is stored", async () => {
      assert.deepEqual(unsigned, [], "every webhook verified");
      const ids = hook.receiver.received.map((r) => String(r.headers["webhook-id"]));
      assert.equal(new Set(ids).size, ids.length, "no webhook notification twice");
      // The last recovery notices may still be on their way.
      const deliveries = await waitFor(async () => {
        const all = await tickflow.alerts.deliveries({ limit: 500 });
        return all.every((d) => d.status === "sent") ? all : null;
      }, "every delivery sent");
      // nightly: open + resolve on 2 channels; backup: open + resolve on 3.
      assert.equal(deliveries.length, 10);
      assert.equal(smtp.messages.length, 2);
      assert.equal(slack.received.length, 2);
      assert.equal(pager.received.length, 2);
      for (const d of deliveries) {
        assert.equal(d.status, "sent", `${d.dedupeKey} ${d.status} ${d.lastError}`);
        const attempts = await tickflow.alerts.attempts(d.id);
        assert.equal(attempts.at(-1)?.ok, true);
      }
    });
  });
}

alertsEndToEnd("sqlite", createTestSqliteStore);
const pgSkip = pgSkipReason();
alertsEndToEnd("postgres", createTestPgStore as () => Promise<Harness>, pgSkip);
