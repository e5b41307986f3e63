import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowDueDecision, memoizedNextFireAt } from "../../../src/core/flow-due.ts";
import type { Trigger } from "../../../src/core/triggers.ts";

const T = Date.UTC(2030, 0, 1, 12, 0, 0);
const fiveMinutes: Trigger = { kind: "every", intervalMs: 300_000 };

describe("flowDueDecision", () => {
  const cases: [string, Parameters<typeof flowDueDecision>[0], number, ReturnType<typeof flowDueDecision>][] =
    [
      [
        "disabled",
        { enabled: false, schedule: fiveMinutes, lastRunAt: null, createdAt: T },
        T + 600_000,
        { due: false, reason: "disabled" },
      ],
      [
        "no schedule",
        { enabled: true, schedule: null, lastRunAt: null, createdAt: T },
        T + 600_000,
        { due: false, reason: "no_schedule" },
      ],
      [
        "never ran, tick passed since stored",
        { enabled: true, schedule: fiveMinutes, lastRunAt: null, createdAt: T },
        T + 300_000,
        { due: true, period: T + 300_000 },
      ],
      [
        "never ran, no tick yet",
        { enabled: true, schedule: fiveMinutes, lastRunAt: null, createdAt: T },
        T + 299_999,
        { due: false, reason: "not_due" },
      ],
      [
        "ran after the last tick",
        { enabled: true, schedule: fiveMinutes, lastRunAt: T + 300_001, createdAt: T },
        T + 599_999,
        { due: false, reason: "not_due" },
      ],
      [
        "a tick passed since the last run",
        { enabled: true, schedule: fiveMinutes, lastRunAt: T + 300_001, createdAt: T },
        T + 600_000,
        { due: true, period: T + 600_000 },
      ],
      [
        "several ticks passed: the period is the latest one, the key the scheduler uses too",
        { enabled: true, schedule: fiveMinutes, lastRunAt: T, createdAt: T },
        T + 1_000_000,
        { due: true, period: T + 900_000 },
      ],
      [
        "a cron schedule: the period is its last fire time at or before now",
        {
          enabled: true,
          schedule: { kind: "cron", expression: "0 * * * *", timezone: "UTC" },
          lastRunAt: T,
          createdAt: T,
        },
        T + 3_600_000 + 59_000,
        { due: true, period: T + 3_600_000 },
      ],
      [
        "an at-trigger already done",
        { enabled: true, schedule: { kind: "at", at: T }, lastRunAt: T + 1, createdAt: T - 5 },
        T + 10_000,
        { due: false, reason: "not_due" },
      ],
    ];
  for (const [name, flow, now, expected] of cases) {
    it(name, () => assert.deepEqual(flowDueDecision(flow, now), expected));
  }

  it("memoizes next fire times and agrees with the uncached answer", () => {
    const next = memoizedNextFireAt(2);
    const cron: Trigger = { kind: "cron", expression: "0 * * * *", timezone: "UTC" };
    assert.equal(next(cron, T), T + 3_600_000);
    assert.equal(next(cron, T), T + 3_600_000);
    assert.equal(next(fiveMinutes, T), T + 300_000);
    assert.equal(next(cron, T + 1), T + 3_600_000); // past the limit: cleared and recomputed
  });
});
