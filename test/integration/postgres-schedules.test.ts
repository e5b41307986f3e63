import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assertEverySecondRanOnce } from "../helpers/every-second.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const skipReason = pgSkipReason();
if (skipReason && !pgRequired) console.log(`postgres multi-process tests skipped: ${skipReason}`);

describe("schedules across processes on PostgreSQL (real time)", {
  skip: pgRequired ? false : skipReason,
}, () => {
  it("three processes fire every nominal second of a * * * * * * schedule exactly once for 20 s", async () => {
    if (skipReason) assert.fail(skipReason);
    const h = await createTestPgStore();
    const { dir, cleanup } = tempDir();
    const ledgerFile = join(dir, "ledger.txt");
    const env = {
      TICKFLOW_DATABASE_URL: h.url,
      TICKFLOW_PG_SCHEMA: h.schema,
      TICKFLOW_TEST_LEDGER: ledgerFile,
      TICKFLOW_POLL_INTERVAL: "100ms",
    };
    const args = ["start", "-c", "test/fixtures/every-second.config.ts"];
    const processes = [spawnTickflow(args, env), spawnTickflow(args, env), spawnTickflow(args, env)];
    try {
      await waitFor(
        () => processes.every((p) => p.output().includes("tickflow start started")),
        "the processes to start",
        20_000,
      );
      await sleep(20_000);
      for (const p of processes) p.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0, 0]);

      await assertEverySecondRanOnce(h.store, ledgerFile);
      for (const p of processes) assert.doesNotMatch(p.output(), /internal error/);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      await h.cleanup();
      cleanup();
    }
  });
});
