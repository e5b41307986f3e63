import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { type ServiceProcess, spawnTickflow } from "../helpers/process.ts";
import { startReceiver, verifyStandardWebhook } from "../helpers/receivers.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const SECRET = `whsec_${Buffer.from("multiprocess-alerts-secret-0123").toString("base64")}`;
/** The receiver is down this long: a minute with TICKFLOW_TEST_SLOW=1, 6 s otherwise. */
const DOWN_MS = process.env.TICKFLOW_TEST_SLOW === "1" ? 60_000 : 6_000;
const skip = pgSkipReason();

describe("alerts across three processes on one PostgreSQL database", {
  skip: pgRequired ? undefined : skip,
}, () => {
  it(`one notification per incident event, none duplicated, none lost, with the receiver down for ${DOWN_MS / 1000}s`, async () => {
    const h = await createTestPgStore();
    let unverified = 0;
    const receiver = await startReceiver((r) => {
      if (verifyStandardWebhook(SECRET, r)) return 200;
      unverified++;
      return 401;
    });
    const env = {
      TICKFLOW_DATABASE_URL: h.url,
      TICKFLOW_PG_SCHEMA: h.schema,
      TICKFLOW_POLL_INTERVAL: "100ms",
      TICKFLOW_TEST_HOOK_URL: receiver.url,
      TICKFLOW_TEST_HOOK_SECRET: SECRET,
    };
    const args = ["start", "-c", "test/fixtures/alerts-multinode.config.ts"];
    const processes: ServiceProcess[] = [];
    // The test's own view of the database: it pings the check and reads what was stored.
    const reader = new Tickflow(h.store, {}, false);
    try {
      processes.push(spawnTickflow(args, env), spawnTickflow(args, env), spawnTickflow(args, env));
      await waitFor(
        async () =>
          processes.every((p) => p.output().includes("started")) &&
          (await h.store.queries.getCheck("cron-job")),
        "three processes to start and store the check",
        30_000,
      );
      await reader.checks.pingByKey("cron-job", "success");
      await receiver.stop();
      // The check goes down 3 s after its ping; the incident opens and re-notifies every 3 s
      // while every delivery attempt is refused.
      await waitFor(
        async () => (await reader.alerts.incidents({ status: "open" })).length > 0,
        "the incident",
        15_000,
      );
      await sleep(DOWN_MS);
      const failedMeanwhile = await reader.alerts.deliveries({ limit: 500 });
      assert.ok(
        failedMeanwhile.some((d) => d.attempts > 0 && d.status === "pending"),
        "deliveries were tried while the receiver was down",
      );
      await receiver.start();
      await reader.checks.pingByKey("cron-job", "success");
      await waitFor(
        async () => (await reader.alerts.incidents({ status: "resolved" })).length === 1,
        "the incident to resolve",
        15_000,
      );
      const deliveries = await waitFor(
        async () => {
          const all = await reader.alerts.deliveries({ limit: 500 });
          return all.length > 0 && all.every((d) => d.status === "sent") ? all : null;
        },
        "every delivery sent",
        60_000,
      );

      const incidents = await reader.alerts.incidents();
      assert.equal(incidents.length, 1, "one incident for the subject, whichever process evaluated it");
      const events = deliveries.map((d) => d.event);
      assert.equal(events.filter((e) => e === "open").length, 1);
      assert.equal(events.filter((e) => e === "resolve").length, 1);
      assert.ok(
        events.filter((e) => e === "renotify").length >= 1,
        `re-notified while open (${events.join(",")})`,
      );
      const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
      assert.equal(new Set(ids).size, ids.length, `no notification received twice: ${ids.join(" ")}`);
      assert.deepEqual([...ids].sort(), deliveries.map((d) => d.dedupeKey).sort(), "none lost");
      assert.equal(unverified, 0);
      // The seq numbers of one incident have no gap: each event was decided once.
      assert.deepEqual(
        deliveries.map((d) => d.seq).sort((a, b) => a - b),
        Array.from({ length: deliveries.length }, (_, i) => i + 1),
      );
    } finally {
      for (const p of processes) p.child.kill("SIGTERM");
      await Promise.all(processes.map((p) => p.exited));
      await receiver.stop();
      await h.cleanup();
    }
  });
});
