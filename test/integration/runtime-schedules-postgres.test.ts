import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Tickflow } from "../../src/tickflow.ts";
import { report } from "../fixtures/runtime-schedules.config.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const skipReason = pgSkipReason();
if (skipReason && !pgRequired) console.log(`postgres runtime schedule tests skipped: ${skipReason}`);

describe("runtime schedules across processes on PostgreSQL (real time)", {
  skip: pgRequired ? false : skipReason,
}, () => {
  it("three processes: a schedule changed from every 1 s to every 2 s while running fires each tick once, none lost", async () => {
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
    // The changes come from a client of its own, as from an API call on another machine.
    const client = new Tickflow(h.store, { jobs: [report as never] }, false);
    const flip = {
      key: "flip",
      job: report,
      payload: { s: "flip" },
      misfire: "skip",
      overlap: "allow",
    } as const;
    const args = ["start", "-c", "test/fixtures/runtime-schedules.config.ts"];
    const processes = [spawnTickflow(args, env), spawnTickflow(args, env), spawnTickflow(args, env)];
    try {
      await waitFor(
        () => processes.every((p) => p.output().includes("tickflow start started")),
        "the processes to start",
        30_000,
      );
      await client.schedules.upsert({ ...flip, every: "1s" });
      await sleep(8_000);
      const changedAt = Date.now();
      const changed = await client.schedules.upsert({ ...flip, every: "2s" });
      assert.deepEqual([changed.status, changed.changed], ["updated", ["trigger"]]);
      await sleep(10_000);
      for (const p of processes) p.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0, 0]);

      const ticks = (await h.store.queries.listTicks("flip", { limit: 1_000 })).reverse();
      assert.deepEqual(new Set(ticks.map((t) => t.decision)), new Set(["fired"]));
      const before = ticks.filter((t) => t.nominalAt <= changedAt).map((t) => t.nominalAt);
      const after = ticks.filter((t) => t.nominalAt > changedAt).map((t) => t.nominalAt);
      assert.ok(before.length >= 6, `~8 ticks every second before the change, got ${before.length}`);
      assert.ok(after.length >= 4, `~5 ticks every 2 s after the change, got ${after.length}`);
      for (let i = 1; i < before.length; i++)
        assert.equal(before[i]! - before[i - 1]!, 1_000, "every second, none lost");
      for (let i = 1; i < after.length; i++)
        assert.equal(after[i]! - after[i - 1]!, 2_000, "every 2 s, none lost");
      assert.ok(
        after.every((at) => at % 2_000 === 0),
        "the new trigger's nominal times",
      );
      // Across the change: the first 2 s tick follows the last 1 s one with no tick owed between.
      assert.ok(
        after[0]! - before.at(-1)! <= 2_000,
        `gap across the change: ${after[0]! - before.at(-1)!} ms`,
      );

      const ledger = existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8").trim().split("\n") : [];
      const ran = ledger.filter((line) => line.startsWith("flip ")).map((line) => Number(line.split(" ")[1]));
      assert.equal(new Set(ran).size, ran.length, "no tick ran twice");
      for (const tick of ticks.slice(0, -1))
        assert.ok(ran.includes(tick.nominalAt), `tick ${tick.nominalAt} ran`);
      for (const p of processes) assert.doesNotMatch(p.output(), /internal error/);
    } finally {
      for (const p of processes) p.child.kill("SIGKILL");
      await client.stop();
      await h.cleanup();
      cleanup();
    }
  });
});
