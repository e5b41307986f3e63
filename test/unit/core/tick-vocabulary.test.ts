import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobState } from "../../../src/core/job-state.ts";
import type { TickDecision, TickReason } from "../../../src/core/misfire.ts";
import {
  countTicks,
  describeTick,
  outcomeOfJob,
  type TickFacts,
  tickDecision,
  VOCABULARY,
} from "../../../src/core/tick-vocabulary.ts";

const T = Date.UTC(2030, 0, 1, 12, 0, 0);

describe("tickDecision: stored rows in the one vocabulary", () => {
  const cases: [TickDecision, TickReason, TickDecision][] = [
    ["fired", null, "fired"],
    ["fired", "misfire", "fired"], // the coalesced run that did fire, late
    ["missed", "coalesced", "missed"],
    ["missed", "expired", "missed"],
    ["missed", "misfire", "missed"],
    ["skipped", "misfire", "missed"], // rows written before the vocabulary: no job ran, no user rule chose it
    ["skipped", "overlap", "skipped"],
    ["skipped", "paused", "skipped"],
  ];
  for (const [decision, reason, expected] of cases) {
    it(`${decision}/${reason} → ${expected}`, () => assert.equal(tickDecision(decision, reason), expected));
  }
});

describe("outcomeOfJob", () => {
  const cases: [JobState, number, ReturnType<typeof outcomeOfJob>][] = [
    ["scheduled", 0, null],
    ["available", 0, null],
    ["available", 1, "retrying"],
    ["running", 1, "running"],
    ["succeeded", 1, "succeeded"],
    ["retry_scheduled", 1, "retrying"],
    ["discarded", 3, "failed"],
    ["cancelled", 0, "cancelled"],
  ];
  for (const [state, attempts, expected] of cases) {
    it(`${state} after ${attempts} attempt(s) → ${expected}`, () =>
      assert.equal(outcomeOfJob(state, attempts), expected));
  }
});

function facts(over: Partial<TickFacts>): TickFacts {
  return {
    nominalAt: T,
    decision: "fired",
    reason: null,
    decidedAt: T,
    jobId: "j1",
    startedAt: T + 100,
    job: { state: "succeeded", attempts: 1, finishedAt: T + 600 },
    ...over,
  };
}

describe("describeTick", () => {
  const cases: [string, Partial<TickFacts>, number, Record<string, unknown>][] = [
    [
      "on-time success",
      {},
      T + 1_000,
      { outcome: "succeeded", late: false, mark: "succeeded", latenessMs: 100, durationMs: 500 },
    ],
    [
      "late success",
      { startedAt: T + 1_500, job: { state: "succeeded", attempts: 1, finishedAt: T + 2_000 } },
      T + 3_000,
      { late: true, mark: "late", latenessMs: 1_500 },
    ],
    [
      "failed (discarded)",
      { job: { state: "discarded", attempts: 3, finishedAt: T + 900 } },
      T + 1_000,
      { outcome: "failed", mark: "failed", durationMs: 800 },
    ],
    [
      "retrying",
      { job: { state: "retry_scheduled", attempts: 1, finishedAt: null } },
      T + 1_000,
      { outcome: "retrying", mark: "retrying", durationMs: null },
    ],
    [
      "running on time",
      { job: { state: "running", attempts: 1, finishedAt: null } },
      T + 5_000,
      { outcome: "running", mark: "running", late: false },
    ],
    [
      "waiting, within tolerance",
      { startedAt: null, job: { state: "available", attempts: 0, finishedAt: null } },
      T + 900,
      { outcome: null, mark: "pending", late: false },
    ],
    [
      "waiting past tolerance",
      { startedAt: null, job: { state: "available", attempts: 0, finishedAt: null } },
      T + 1_001,
      { outcome: null, mark: "late", late: true },
    ],
    [
      "cancelled",
      { startedAt: null, job: { state: "cancelled", attempts: 0, finishedAt: T + 10 } },
      T + 5_000,
      { outcome: "cancelled", mark: "skipped", late: false },
    ],
    [
      "missed (coalesced)",
      { decision: "missed", reason: "coalesced", jobId: null, startedAt: null, job: null },
      T + 5_000,
      { decision: "missed", outcome: null, mark: "missed", late: false },
    ],
    [
      "old skip-policy row",
      { decision: "skipped", reason: "misfire", jobId: null, startedAt: null, job: null },
      T + 5_000,
      { decision: "missed", mark: "missed" },
    ],
    [
      "overlap",
      { decision: "skipped", reason: "overlap", jobId: null, startedAt: null, job: null },
      T + 5_000,
      { decision: "skipped", mark: "skipped" },
    ],
  ];
  for (const [name, over, now, expected] of cases) {
    it(name, () => {
      const view = describeTick(facts(over), { now });
      for (const [k, v] of Object.entries(expected)) assert.equal(view[k as keyof typeof view], v, `${k}`);
    });
  }

  it("the tolerance is a parameter", () => {
    const f = facts({ startedAt: T + 1_500 });
    assert.equal(describeTick(f, { now: T + 5_000 }).late, true);
    assert.equal(describeTick(f, { now: T + 5_000, toleranceMs: 2_000 }).late, false);
  });

  it("counts agree with the marks", () => {
    const views = [
      describeTick(facts({}), { now: T + 1_000 }),
      describeTick(facts({ startedAt: T + 5_000 }), { now: T + 6_000 }),
      describeTick(facts({ job: { state: "discarded", attempts: 1, finishedAt: T + 200 } }), {
        now: T + 1_000,
      }),
      describeTick(facts({ decision: "missed", reason: "coalesced", job: null, jobId: null }), { now: T }),
      describeTick(facts({ decision: "skipped", reason: "overlap", job: null, jobId: null }), { now: T }),
    ];
    assert.deepEqual(countTicks(views), {
      fired: 3,
      missed: 1,
      skipped: 1,
      late: 1,
      failed: 1,
      succeeded: 2,
    });
  });

  it("every word is defined once, in a sentence", () => {
    for (const word of ["missed", "skipped", "late", "failed"] as const)
      assert.match(VOCABULARY[word], /\w+ \w+/);
  });
});
