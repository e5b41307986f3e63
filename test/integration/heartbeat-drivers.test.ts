import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { call } from "../helpers/http.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

/**
 * Seed 004 / spec §7 in real time: an external loop POSTs /heartbeat every 5 s, alternately to two
 * `tickflow start` processes on one database, for 2 minutes, while both run their internal
 * scheduler. Each due flow runs once per period. Slow (≈2.5 min): runs under CI or
 * TICKFLOW_TEST_SLOW=1, else it is skipped — and counted as skipped.
 */
const slow = process.env.CI || process.env.TICKFLOW_TEST_SLOW === "1";
const TOKEN = "drivers-test-token-0123456789";

describe("POST /heartbeat and the internal scheduler across two processes (real time)", () => {
  it("an external loop every 5 s for 2 minutes: each flow runs once per period, whichever driver gets there", {
    skip: slow ? false : "slow (2 min): set TICKFLOW_TEST_SLOW=1",
    timeout: 300_000,
  }, async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const env = {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_TOKEN: TOKEN,
      TICKFLOW_POLL_INTERVAL: "100ms",
    };
    const args = ["start", "-c", "test/fixtures/heartbeat-drivers.config.ts"];
    const processes = [spawnTickflow(args, env), spawnTickflow(args, env)];
    try {
      await waitFor(
        () => processes.every((p) => /HTTP listening on http:\/\/127\.0\.0\.1:\d+/.test(p.output())),
        "both processes to listen",
        60_000,
      );
      const ports = processes.map((p) =>
        Number(/HTTP listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output())![1]),
      );
      const started = Date.now();
      const answers: {
        status: number;
        body: { triggered: { flow: string }[]; skipped: { flow: string; reason: string }[] };
      }[] = [];
      for (let i = 0; Date.now() - started < 120_000; i++) {
        const reply = await call(ports[i % 2]!, "POST", "/heartbeat", { token: TOKEN });
        answers.push({ status: reply.status, body: reply.json() });
        await sleep(5_000 - ((Date.now() - started) % 5_000));
      }
      await sleep(2_000); // the last triggered runs finish
      for (const p of processes) p.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0]);

      assert.ok(answers.length >= 20, `${answers.length} heartbeats`);
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]));
      const db = new Database(file, { readonly: true });
      try {
        for (const [flow, periodMs] of [
          ["both-10s", 10_000],
          ["heartbeat-15s", 15_000],
        ] as const) {
          const ticks = db
            .prepare(
              "SELECT nominal_at AS at FROM schedule_ticks WHERE schedule_id = ? AND decision = 'fired' ORDER BY nominal_at",
            )
            .all(flow) as { at: number }[];
          const runs = db
            .prepare(
              "SELECT source, created_at AS createdAt FROM data_flow_runs WHERE flow = ? AND attempt = 1",
            )
            .all(flow) as { source: string; createdAt: number }[];
          assert.ok(ticks.length >= 120_000 / periodMs - 2, `${flow}: ${ticks.length} periods ran`);
          assert.equal(runs.length, ticks.length, `${flow}: one run per fired period`);
          for (let k = 1; k < ticks.length; k++) {
            assert.equal(ticks[k]!.at - ticks[k - 1]!.at, periodMs, `${flow}: no period missed or doubled`);
          }
          if (flow === "heartbeat-15s") {
            assert.deepEqual(
              new Set(runs.map((r) => r.source)),
              new Set(["heartbeat"]),
              "only the heartbeat drives it",
            );
          }
        }
      } finally {
        db.close();
      }
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      cleanup();
    }
  });
});
