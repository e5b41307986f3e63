import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import type { Store } from "../../src/store/store.ts";

/**
 * The exactly-once check for test/fixtures/every-second.config.ts after several processes ran it:
 * consecutive nominal seconds, all fired, none run twice (the ledger), each tick's job run once.
 * Returns the ledger lines ("<nominal> <pid> <jobId>").
 */
export async function assertEverySecondRanOnce(store: Store, ledgerFile: string): Promise<string[]> {
  const ticks = (await store.queries.listTicks("every-second", { limit: 1_000 })).reverse();
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
    const runs = await store.queries.listJobRuns(tick.jobId!);
    assert.deepEqual(
      runs.map((r) => r.outcome),
      ["succeeded"],
    );
  }
  return ledger;
}
