import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { assertEverySecondRanOnce } from "../helpers/every-second.ts";
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

      const ledger = await assertEverySecondRanOnce(store, ledgerFile);
      const pids = new Set(ledger.map((line) => line.split(" ")[1]));
      assert.ok(pids.size >= 1);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      await store.close();
      cleanup();
    }
  });
});
