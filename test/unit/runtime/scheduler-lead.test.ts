import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TickflowEvents } from "../../../src/events.ts";
import { silentLogger } from "../../../src/logger.ts";
import { defineJob } from "../../../src/runtime/registry.ts";
import { Scheduler } from "../../../src/runtime/scheduler.ts";
import { Tickflow } from "../../../src/tickflow.ts";
import { createTestSqliteStore } from "../../helpers/sqlite.ts";

const T = Date.UTC(2030, 0, 1, 12, 0, 0);
const noop = defineJob("noop", async () => {});

/** A scheduler's first look, with `due` schedules due 10 s from now: the delay until it wakes. */
async function firstSleep(due: number, options: { leadMs: number; maxLeadMs?: number }): Promise<number> {
  const h = await createTestSqliteStore();
  let now = T - 60_000;
  const tf = new Tickflow(h.store, { jobs: [noop as never], clock: { now: () => now } }, false);
  try {
    for (let i = 0; i < due; i++)
      await tf.schedules.upsert({ key: `s${i}`, job: noop, at: new Date(T + 10_000).toISOString() });
    now = T;
    const scheduler = new Scheduler({
      store: h.store,
      events: new TickflowEvents(),
      logger: silentLogger,
      now: () => now,
      maxSleepMs: 60_000,
      ...options,
    });
    return await scheduler.tick();
  } finally {
    await h.cleanup();
  }
}

describe("the scheduler's lead grows with the batch due at the next fire time", () => {
  it("one due schedule: woken leadMs ahead; 500 due at once: woken earlier, to decide them all by then", async () => {
    assert.equal(await firstSleep(1, { leadMs: 50, maxLeadMs: 5_000 }), 10_000 - 50);
    // 500 due × 0.2 ms (the starting estimate of a decision's cost) × 2 = 200 ms ahead.
    assert.equal(await firstSleep(500, { leadMs: 50, maxLeadMs: 5_000 }), 10_000 - 200);
    assert.equal(await firstSleep(500, { leadMs: 50, maxLeadMs: 120 }), 10_000 - 120, "capped at maxLeadMs");
    assert.equal(await firstSleep(500, { leadMs: 50 }), 10_000 - 50, "without maxLeadMs: leadMs");
    assert.equal(
      await firstSleep(500, { leadMs: 0, maxLeadMs: 5_000 }),
      10_000,
      "no lead (an injected clock)",
    );
  });
});
