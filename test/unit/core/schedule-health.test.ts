import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareHealth,
  SCHEDULE_HEALTH,
  type ScheduleHealthInput,
  type ScheduleHealthStatus,
  scheduleHealth,
} from "../../../src/core/schedule-health.ts";
import type { TickOutcome, TickView } from "../../../src/core/tick-vocabulary.ts";

const T = Date.UTC(2030, 0, 1, 12, 0, 0);
const MIN = 60_000;

/** A tick `i` minutes after T. */
function tick(
  i: number,
  outcome: TickOutcome | null,
  extra: Partial<TickView> & { decidedAt?: number } = {},
) {
  const decision = extra.decision ?? "fired";
  return {
    nominalAt: T + i * MIN,
    decision,
    reason: null,
    outcome: decision === "fired" ? outcome : null,
    latenessMs: decision === "fired" && outcome !== null ? 50 : null,
    durationMs: null,
    late: false,
    jobId: null,
    mark: "succeeded" as const,
    decidedAt: T + i * MIN,
    ...extra,
  };
}

const base = (over: Partial<ScheduleHealthInput>): ScheduleHealthInput => ({
  ticks: [],
  paused: false,
  nextFireAt: T + 3 * MIN,
  now: T + 2 * MIN + 30_000,
  ...over,
});

describe("scheduleHealth", () => {
  const cases: [string, Partial<ScheduleHealthInput>, ScheduleHealthStatus][] = [
    ["no tick yet", {}, "never_ran"],
    ["paused wins over everything", { paused: true, ticks: [tick(2, "failed")] }, "paused"],
    [
      "on-time successes",
      { ticks: [tick(0, "succeeded"), tick(1, "succeeded"), tick(2, "succeeded")] },
      "ok",
    ],
    [
      "last run failed (N = 1)",
      { ticks: [tick(0, "succeeded"), tick(1, "succeeded"), tick(2, "failed")] },
      "failing",
    ],
    ["last run retrying: its attempt failed", { ticks: [tick(2, "retrying")] }, "failing"],
    ["a failure followed by a success", { ticks: [tick(1, "failed"), tick(2, "succeeded")] }, "ok"],
    [
      "running after a failure: judged on the settled ones",
      { ticks: [tick(1, "failed"), tick(2, "running")] },
      "failing",
    ],
    ["N = 2, one failure", { failingAfter: 2, ticks: [tick(1, "succeeded"), tick(2, "failed")] }, "ok"],
    ["N = 2, two failures", { failingAfter: 2, ticks: [tick(1, "failed"), tick(2, "failed")] }, "failing"],
    ["N = 2, only one settled run", { failingAfter: 2, ticks: [tick(2, "failed")] }, "ok"],
    [
      "the newest round has missed ticks (a downtime)",
      {
        ticks: [
          tick(0, null, { decision: "missed", decidedAt: T + 2 * MIN }),
          tick(1, null, { decision: "missed", decidedAt: T + 2 * MIN }),
          tick(2, "succeeded", { latenessMs: 5, decidedAt: T + 2 * MIN }),
        ],
      },
      "missed",
    ],
    [
      "missed in an older round, the newest on time",
      {
        ticks: [
          tick(0, null, { decision: "missed", decidedAt: T + MIN }),
          tick(1, "succeeded"),
          tick(2, "succeeded"),
        ],
      },
      "ok",
    ],
    [
      "next tick overdue past tolerance + grace: no scheduler",
      { ticks: [tick(2, "succeeded")], now: T + 3 * MIN + 6_001 },
      "missed",
    ],
    ["next tick overdue within grace", { ticks: [tick(2, "succeeded")], now: T + 3 * MIN + 6_000 }, "ok"],
    ["newest run started late", { ticks: [tick(2, "succeeded", { latenessMs: 2_500 })] }, "late"],
    ["newest run not started past tolerance", { ticks: [tick(2, null, { latenessMs: null })] }, "late"],
    [
      "overlap skip is the user's rule: ok",
      { ticks: [tick(1, "running"), tick(2, null, { decision: "skipped" })] },
      "ok",
    ],
  ];
  for (const [name, over, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const h = scheduleHealth(base(over));
      assert.equal(h.status, expected, h.reason);
      assert.ok(h.reason.length > 0);
    });
  }

  it("rejects a bad failingAfter", () => {
    assert.throws(() => scheduleHealth(base({ failingAfter: 0 })), RangeError);
  });

  it("sorts worst first", () => {
    const sorted = [...SCHEDULE_HEALTH].sort(compareHealth);
    assert.deepEqual(sorted, ["failing", "missed", "late", "never_ran", "ok", "paused"]);
  });
});
