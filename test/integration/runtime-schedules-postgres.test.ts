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
      const changeDone = Date.now();
      assert.deepEqual([changed.status, changed.changed], ["updated", ["trigger"]]);
      await sleep(10_000);
      for (const p of processes) p.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0, 0]);

      const ticks = (await h.store.queries.listTicks("flip", { limit: 1_000 })).reverse();
      assert.deepEqual(new Set(ticks.map((t) => t.decision)), new Set(["fired"]));
      // Ticks decided just ahead of their nominal time (the scheduler's lead) before the change
      // committed are the old trigger's: split the run where the spacing turns to 2 s, not by clock.
      const nominal = ticks.map((t) => t.nominalAt);
      const gaps = nominal.slice(1).map((at, i) => at - nominal[i]!);
      const turn = gaps.indexOf(2_000);
      assert.ok(turn >= 6, `~8 ticks every second before the change, got ${turn}: ${gaps}`);
      assert.deepEqual(
        gaps.slice(0, turn),
        Array(turn).fill(1_000),
        "every second before, none lost or doubled",
      );
      assert.ok(gaps.length - turn >= 3, `~5 ticks every 2 s after the change: ${gaps}`);
      assert.deepEqual(gaps.slice(turn), Array(gaps.length - turn).fill(2_000), "every 2 s after, none lost");
      assert.ok(
        nominal.slice(turn + 1).every((at) => at % 2_000 === 0),
        "the new trigger's nominal times",
      );
      // The switch happened around the change: its last 1 s tick near when the upsert ran.
      const switched = nominal[turn]!;
      assert.ok(
        switched >= changedAt - 1_000 && switched <= changeDone + 2_000,
        `switched at ${switched}, change ${changedAt}–${changeDone}`,
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
