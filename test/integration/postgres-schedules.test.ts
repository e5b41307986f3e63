import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
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

      const ticks = (await h.store.listTicks("every-second", { limit: 1_000 })).reverse();
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
        const runs = await h.store.listJobRuns(tick.jobId!);
        assert.deepEqual(
          runs.map((r) => r.outcome),
          ["succeeded"],
        );
      }
      for (const p of processes) assert.doesNotMatch(p.output(), /internal error/);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      await h.cleanup();
      cleanup();
    }
  });
});
