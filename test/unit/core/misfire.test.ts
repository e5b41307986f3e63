import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_CATCH_UP_TICKS,
  MISFIRE_POLICIES,
  ON_TIME_TOLERANCE_MS,
  OVERLAP_POLICIES,
  type PlannedTick,
  planTicks,
  type TickPlanInput,
} from "../../../src/core/misfire.ts";
import type { Trigger } from "../../../src/core/triggers.ts";

/** A whole second, so an every-1s trigger fires at T0, T0+1000, … */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const EVERY_1S: Trigger = { kind: "every", intervalMs: 1_000 };

function input(overrides: Partial<TickPlanInput> = {}): TickPlanInput {
  return {
    trigger: EVERY_1S,
    nextFireAt: T0,
    now: T0,
    misfire: "latest",
    graceMs: 3_600_000,
    overlap: "allow",
    paused: false,
    previousRunUnfinished: false,
    ...overrides,
  };
}

/** [offset from T0, decision, reason] — compact and readable in tables. */
type Row = [offset: number, decision: PlannedTick["decision"], reason: PlannedTick["reason"]];
const rows = (ticks: PlannedTick[]): Row[] => ticks.map((t) => [t.nominalAt - T0, t.decision, t.reason]);

/**
 * A restart after an outage: the stored nextFireAt is now-3500 with an every-1s trigger, so four
 * ticks are due — T0 (3.5 s late), T0+1s (2.5 s), T0+2s (1.5 s) — three misfires — and T0+3s (0.5 s
 * late, within the 1 s on-time tolerance).
 */
const RESTART = { nextFireAt: T0, now: T0 + 3_500 };

describe("planTicks", () => {
  it("constants are what the docs say", () => {
    assert.equal(ON_TIME_TOLERANCE_MS, 1_000);
    assert.equal(MAX_CATCH_UP_TICKS, 1_000);
    assert.deepEqual(MISFIRE_POLICIES, ["skip", "latest", "all"]);
    assert.deepEqual(OVERLAP_POLICIES, ["allow", "skip"]);
  });

  describe("on time", () => {
    for (const misfire of MISFIRE_POLICIES) {
      for (const lateness of [0, 1, 999, 1_000]) {
        it(`${misfire}: a tick ${lateness}ms late fires`, () => {
          const every10s: Trigger = { kind: "every", intervalMs: 10_000 };
          const plan = planTicks(input({ trigger: every10s, misfire, now: T0 + lateness, graceMs: 0 }));
          assert.deepEqual(rows(plan.ticks), [[0, "fired", null]]);
          assert.equal(plan.nextFireAt, T0 + 10_000);
          assert.equal(plan.uncounted, 0);
        });
      }
    }

    it("nothing is due before nextFireAt: no ticks, nextFireAt unchanged", () => {
      const plan = planTicks(input({ now: T0 - 1 }));
      assert.deepEqual(plan, { ticks: [], uncounted: 0, nextFireAt: T0 });
    });

    it("1001ms late is a misfire (the tolerance boundary)", () => {
      const every10s: Trigger = { kind: "every", intervalMs: 10_000 };
      const plan = planTicks(input({ trigger: every10s, misfire: "skip", now: T0 + 1_001 }));
      assert.deepEqual(rows(plan.ticks), [[0, "missed", "misfire"]]);
    });

    it("with every 1s, 1000ms late means the next tick is due too, and both are on time", () => {
      const plan = planTicks(input({ misfire: "skip", now: T0 + 1_000 }));
      assert.deepEqual(rows(plan.ticks), [
        [0, "fired", null],
        [1_000, "fired", null],
      ]);
    });
  });

  describe("three missed ticks after a restart", () => {
    const cases: [label: string, overrides: Partial<TickPlanInput>, expected: Row[]][] = [
      [
        "skip: late ticks skipped, the on-time one fires",
        { misfire: "skip" },
        [
          [0, "missed", "misfire"],
          [1_000, "missed", "misfire"],
          [2_000, "missed", "misfire"],
          [3_000, "fired", null],
        ],
      ],
      [
        "latest: late ticks coalesced into the on-time one",
        { misfire: "latest" },
        [
          [0, "missed", "coalesced"],
          [1_000, "missed", "coalesced"],
          [2_000, "missed", "coalesced"],
          [3_000, "fired", null],
        ],
      ],
      [
        "all (grace 1h): every late tick fires, marked misfire",
        { misfire: "all", graceMs: 3_600_000 },
        [
          [0, "fired", "misfire"],
          [1_000, "fired", "misfire"],
          [2_000, "fired", "misfire"],
          [3_000, "fired", null],
        ],
      ],
      [
        "all (grace 2s): ticks older than the grace expire",
        { misfire: "all", graceMs: 2_000 },
        [
          [0, "missed", "expired"], // 3.5 s late
          [1_000, "missed", "expired"], // 2.5 s late
          [2_000, "fired", "misfire"], // 1.5 s late
          [3_000, "fired", null],
        ],
      ],
      [
        "all (grace 2.5s): exactly at the grace still fires",
        { misfire: "all", graceMs: 2_500 },
        [
          [0, "missed", "expired"],
          [1_000, "fired", "misfire"],
          [2_000, "fired", "misfire"],
          [3_000, "fired", null],
        ],
      ],
      [
        "all (grace 0): every late tick expires, the on-time one fires",
        { misfire: "all", graceMs: 0 },
        [
          [0, "missed", "expired"],
          [1_000, "missed", "expired"],
          [2_000, "missed", "expired"],
          [3_000, "fired", null],
        ],
      ],
    ];
    for (const [label, overrides, expected] of cases) {
      it(label, () => {
        const plan = planTicks(input({ ...RESTART, ...overrides }));
        assert.deepEqual(rows(plan.ticks), expected);
        assert.equal(plan.nextFireAt, T0 + 4_000);
        assert.equal(plan.uncounted, 0);
      });
    }
  });

  describe("every due tick is late (no on-time tick)", () => {
    // every 10s, nextFireAt = now - 35s: ticks 35 s, 25 s, 15 s and 5 s late
    const every10s: Trigger = { kind: "every", intervalMs: 10_000 };
    const base = { trigger: every10s, nextFireAt: T0, now: T0 + 35_000 };
    const cases: [label: string, overrides: Partial<TickPlanInput>, expected: Row[]][] = [
      [
        "skip: all skipped, nothing fires",
        { misfire: "skip" },
        [
          [0, "missed", "misfire"],
          [10_000, "missed", "misfire"],
          [20_000, "missed", "misfire"],
          [30_000, "missed", "misfire"],
        ],
      ],
      [
        "latest: the newest fires (reason misfire), the rest are coalesced",
        { misfire: "latest" },
        [
          [0, "missed", "coalesced"],
          [10_000, "missed", "coalesced"],
          [20_000, "missed", "coalesced"],
          [30_000, "fired", "misfire"],
        ],
      ],
      [
        "all (grace 20s)",
        { misfire: "all", graceMs: 20_000 },
        [
          [0, "missed", "expired"],
          [10_000, "missed", "expired"],
          [20_000, "fired", "misfire"],
          [30_000, "fired", "misfire"],
        ],
      ],
    ];
    for (const [label, overrides, expected] of cases) {
      it(label, () => {
        const plan = planTicks(input({ ...base, ...overrides }));
        assert.deepEqual(rows(plan.ticks), expected);
        assert.equal(plan.nextFireAt, T0 + 40_000);
      });
    }

    it("latest with a single late tick fires it", () => {
      const plan = planTicks(input({ trigger: every10s, misfire: "latest", now: T0 + 5_000 }));
      assert.deepEqual(rows(plan.ticks), [[0, "fired", "misfire"]]);
    });
  });

  describe("paused", () => {
    for (const misfire of MISFIRE_POLICIES) {
      for (const overlap of OVERLAP_POLICIES) {
        it(`${misfire}/${overlap}: every due tick is skipped (paused), nextFireAt still advances`, () => {
          const plan = planTicks(
            input({ ...RESTART, misfire, overlap, paused: true, previousRunUnfinished: true }),
          );
          assert.deepEqual(rows(plan.ticks), [
            [0, "skipped", "paused"],
            [1_000, "skipped", "paused"],
            [2_000, "skipped", "paused"],
            [3_000, "skipped", "paused"],
          ]);
          assert.equal(plan.nextFireAt, T0 + 4_000);
        });
      }
    }
  });

  describe("overlap", () => {
    it("skip + previous run unfinished: an on-time tick is skipped (overlap)", () => {
      const plan = planTicks(input({ overlap: "skip", previousRunUnfinished: true }));
      assert.deepEqual(rows(plan.ticks), [[0, "skipped", "overlap"]]);
    });

    it("allow + previous run unfinished: the tick fires", () => {
      const plan = planTicks(input({ overlap: "allow", previousRunUnfinished: true }));
      assert.deepEqual(rows(plan.ticks), [[0, "fired", null]]);
    });

    it("skip + previous run finished: the tick fires", () => {
      const plan = planTicks(input({ overlap: "skip", previousRunUnfinished: false }));
      assert.deepEqual(rows(plan.ticks), [[0, "fired", null]]);
    });

    it("skip with several fires in one plan: only the first fires, the rest overlap it", () => {
      const plan = planTicks(input({ ...RESTART, misfire: "all", overlap: "skip" }));
      assert.deepEqual(rows(plan.ticks), [
        [0, "fired", "misfire"],
        [1_000, "skipped", "overlap"],
        [2_000, "skipped", "overlap"],
        [3_000, "skipped", "overlap"],
      ]);
    });

    it("skip with several fires and an unfinished previous run: none fire", () => {
      const plan = planTicks(
        input({ ...RESTART, misfire: "all", overlap: "skip", previousRunUnfinished: true }),
      );
      assert.deepEqual(
        rows(plan.ticks).map(([, decision, reason]) => `${decision}/${reason}`),
        ["skipped/overlap", "skipped/overlap", "skipped/overlap", "skipped/overlap"],
      );
    });

    it("skip leaves misfire decisions alone: expired ticks stay missed, the first firing one fires", () => {
      const plan = planTicks(input({ ...RESTART, misfire: "all", graceMs: 2_000, overlap: "skip" }));
      assert.deepEqual(rows(plan.ticks), [
        [0, "missed", "expired"],
        [1_000, "missed", "expired"],
        [2_000, "fired", "misfire"],
        [3_000, "skipped", "overlap"],
      ]);
    });

    it("skip + latest: coalesced ticks are not counted as runs, the on-time one fires", () => {
      const plan = planTicks(input({ ...RESTART, misfire: "latest", overlap: "skip" }));
      assert.deepEqual(rows(plan.ticks), [
        [0, "missed", "coalesced"],
        [1_000, "missed", "coalesced"],
        [2_000, "missed", "coalesced"],
        [3_000, "fired", null],
      ]);
    });
  });

  describe("catch-up cap", () => {
    // 1500 s offline with an every-1s trigger: 1501 ticks due (T0 … T0+1500s inclusive)
    const base = { nextFireAt: T0, now: T0 + 1_500_000 };

    it(`lists the newest ${MAX_CATCH_UP_TICKS} ticks and counts the rest as uncounted`, () => {
      const plan = planTicks(input({ ...base, misfire: "skip" }));
      assert.equal(plan.ticks.length, MAX_CATCH_UP_TICKS);
      assert.equal(plan.uncounted, 501);
      assert.equal(plan.ticks[0]!.nominalAt, T0 + 501_000);
      assert.equal(plan.ticks.at(-1)!.nominalAt, T0 + 1_500_000);
      // the last two (0 s and 1 s late) are on time; the 998 before them are misfires
      assert.deepEqual(rows(plan.ticks.slice(-3)), [
        [1_498_000, "missed", "misfire"],
        [1_499_000, "fired", null],
        [1_500_000, "fired", null],
      ]);
      assert.equal(plan.ticks.filter((t) => t.decision === "missed" && t.reason === "misfire").length, 998);
      assert.equal(plan.nextFireAt, T0 + 1_501_000);
    });

    it("exactly the cap: nothing uncounted", () => {
      const plan = planTicks(input({ nextFireAt: T0, now: T0 + (MAX_CATCH_UP_TICKS - 1) * 1_000 }));
      assert.equal(plan.ticks.length, MAX_CATCH_UP_TICKS);
      assert.equal(plan.uncounted, 0);
      assert.equal(plan.ticks[0]!.nominalAt, T0);
    });

    it("one over the cap: one uncounted, the oldest dropped", () => {
      const plan = planTicks(input({ nextFireAt: T0, now: T0 + MAX_CATCH_UP_TICKS * 1_000 }));
      assert.equal(plan.ticks.length, MAX_CATCH_UP_TICKS);
      assert.equal(plan.uncounted, 1);
      assert.equal(plan.ticks[0]!.nominalAt, T0 + 1_000);
    });

    it("paused also caps", () => {
      const plan = planTicks(input({ ...base, paused: true }));
      assert.equal(plan.ticks.length, MAX_CATCH_UP_TICKS);
      assert.equal(plan.uncounted, 501);
      assert.ok(plan.ticks.every((t) => t.decision === "skipped" && t.reason === "paused"));
    });
  });

  describe("nextFireAt after the plan", () => {
    const cases: [label: string, overrides: Partial<TickPlanInput>, expected: number | null][] = [
      ["every 1s, one tick", {}, T0 + 1_000],
      ["every 1s, four ticks", RESTART, T0 + 4_000],
      ["every 1s, now exactly on the next tick: it is due too", { now: T0 + 1_000 }, T0 + 2_000],
      [
        "cron every 5 minutes",
        { trigger: { kind: "cron", expression: "*/5 * * * *", timezone: "UTC" }, now: T0 + 60_000 },
        T0 + 300_000,
      ],
      ["at, due: done", { trigger: { kind: "at", at: T0 } }, null],
      ["at, due and late: done", { trigger: { kind: "at", at: T0 }, now: T0 + 10_000 }, null],
      ["at, not yet due: unchanged", { trigger: { kind: "at", at: T0 }, now: T0 - 1 }, T0],
    ];
    for (const [label, overrides, expected] of cases) {
      it(`${label} → ${expected === null ? "null" : `T0+${expected - T0}`}`, () => {
        assert.equal(planTicks(input(overrides)).nextFireAt, expected);
      });
    }

    it("at, fired late under skip: skipped once, then done", () => {
      const plan = planTicks(input({ trigger: { kind: "at", at: T0 }, now: T0 + 10_000, misfire: "skip" }));
      assert.deepEqual(rows(plan.ticks), [[0, "missed", "misfire"]]);
      assert.equal(plan.nextFireAt, null);
    });
  });

  it("is pure: the same input gives the same plan", () => {
    const a = planTicks(input({ ...RESTART, misfire: "all", graceMs: 2_000, overlap: "skip" }));
    const b = planTicks(input({ ...RESTART, misfire: "all", graceMs: 2_000, overlap: "skip" }));
    assert.deepEqual(a, b);
  });
});

describe("planTicks after a long outage", () => {
  it("skips ahead instead of walking every missed tick, and counts what it passed over", () => {
    const now = Date.UTC(2030, 0, 8);
    const started = performance.now();
    const plan = planTicks({
      trigger: { kind: "cron", expression: "* * * * * *", timezone: "UTC" },
      nextFireAt: now - 7 * 86_400_000,
      now,
      misfire: "skip",
      graceMs: 0,
      overlap: "allow",
      paused: false,
      previousRunUnfinished: false,
    });
    assert.equal(plan.ticks.length, MAX_CATCH_UP_TICKS);
    assert.equal(plan.ticks.at(-1)?.nominalAt, now);
    assert.ok(
      Math.abs(plan.uncounted + plan.ticks.length - 7 * 86_400 - 1) <= 2,
      `uncounted ${plan.uncounted}`,
    );
    assert.equal(plan.nextFireAt, now + 1_000);
    assert.ok(performance.now() - started < 2_000, "bounded work");
  });

  it("counts exactly for every-triggers", () => {
    const now = 10_000_000;
    const plan = planTicks({
      trigger: { kind: "every", intervalMs: 100 },
      nextFireAt: 100,
      now,
      misfire: "latest",
      graceMs: 0,
      overlap: "allow",
      paused: false,
      previousRunUnfinished: false,
    });
    assert.equal(plan.ticks.length + plan.uncounted, now / 100);
    assert.equal(plan.ticks.at(-1)?.nominalAt, now);
  });
});
