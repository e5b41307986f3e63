import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

describe("schedules across processes (real time)", () => {
  it("two processes on one SQLite file fire every nominal second of a * * * * * * schedule exactly once", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledgerFile = join(dir, "ledger.txt");
    const env = {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_TEST_LEDGER: ledgerFile,
      TICKFLOW_POLL_INTERVAL: "100ms",
    };
    const args = ["start", "-c", "test/fixtures/every-second.config.ts"];
    const processes = [spawnTickflow(args, env), spawnTickflow(args, env)];
    const store = new SqliteStore(file);
    try {
      await waitFor(
        () => processes.every((p) => p.output().includes("tickflow start started")),
        "both processes to start",
        15_000,
      );
      await sleep(20_000);
      for (const p of processes) p.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0]);

      const ticks = (await store.listTicks("every-second", { limit: 1_000 })).reverse();
      assert.ok(ticks.length >= 18, `expected ~20 ticks, got ${ticks.length}`);
      for (let i = 1; i < ticks.length; i++) {
        assert.equal(
          ticks[i]!.nominalAt - ticks[i - 1]!.nominalAt,
          1_000,
          "consecutive nominal seconds, none missing",
        );
      }
      assert.deepEqual(new Set(ticks.map((t) => t.decision)), new Set(["fired"]));

      const ledger = existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8").trim().split("\n") : [];
      const nominal = ledger.map((line) => Number(line.split(" ")[0]));
      assert.equal(new Set(nominal).size, nominal.length, "no nominal second ran twice");
      for (const tick of ticks) {
        // The last tick may have been decided just before SIGTERM (the scheduler decides a tick
        // slightly ahead of its nominal time) and is then left for the next start.
        if (tick === ticks.at(-1) && !nominal.includes(tick.nominalAt)) continue;
        assert.ok(nominal.includes(tick.nominalAt), `tick ${new Date(tick.nominalAt).toISOString()} ran`);
        const runs = await store.listJobRuns(tick.jobId!);
        assert.deepEqual(
          runs.map((r) => r.outcome),
          ["succeeded"],
        );
      }
      const pids = new Set(ledger.map((line) => line.split(" ")[1]));
      assert.ok(pids.size >= 1);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      await store.close();
      cleanup();
    }
  });
});
