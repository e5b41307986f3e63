import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bucketStart,
  emptyMeasure,
  foldSamples,
  mergeRollups,
  observe,
  percentile,
  type RollupSample,
  ratesOf,
  uptimeBetween,
} from "../../../src/core/rollup.ts";

const DAY = Date.UTC(2030, 0, 1);
const H = 3_600_000;

describe("percentile over the log₂ histogram", () => {
  const cases: [string, number[], number, number | null][] = [
    ["empty", [], 0.5, null],
    ["one value", [70], 0.5, 70],
    ["zeros", [0, 0, 0], 0.95, 0],
    ["p50 is the bucket's upper bound", [10, 20, 30, 40, 1_000], 0.5, 32],
    ["p95 capped by the max", [10, 20, 30, 40, 1_000], 0.95, 1_000],
    ["p100 is the max", [3, 9, 700], 1, 700],
  ];
  for (const [name, values, p, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const m = emptyMeasure();
      for (const v of values) observe(m, v);
      assert.equal(percentile(m, p), expected);
    });
  }
  it("within 2× of the true value", () => {
    const m = emptyMeasure();
    for (let v = 1; v <= 1_000; v++) observe(m, v);
    const p50 = percentile(m, 0.5)!;
    assert.ok(p50 >= 500 && p50 <= 1_000, String(p50));
  });
  it("rejects p outside (0, 1]", () => assert.throws(() => percentile(emptyMeasure(), 0), RangeError));
});

describe("foldSamples", () => {
  const samples: RollupSample[] = [
    {
      subject: "schedule",
      name: "a",
      at: DAY + 10,
      decision: "fired",
      outcome: "succeeded",
      late: false,
      latenessMs: 5,
      durationMs: 100,
    },
    {
      subject: "schedule",
      name: "a",
      at: DAY + 20,
      decision: "fired",
      outcome: "failed",
      late: true,
      latenessMs: 3_000,
      durationMs: 50,
    },
    { subject: "schedule", name: "a", at: DAY + H + 5, decision: "missed" },
    { subject: "schedule", name: "a", at: DAY + H + 6, decision: "skipped" },
    { subject: "schedule", name: "b", at: DAY + 30, decision: "fired", outcome: "succeeded", late: false },
  ];

  it("one row per subject, period and bucket; counts equal the raw counts", () => {
    const rollups = foldSamples(samples);
    const hoursA = rollups.filter((r) => r.name === "a" && r.period === "hour");
    assert.equal(hoursA.length, 2);
    const dayA = rollups.find((r) => r.name === "a" && r.period === "day")!;
    assert.deepEqual(dayA.counts, {
      total: 4,
      fired: 2,
      missed: 1,
      skipped: 1,
      succeeded: 1,
      failed: 1,
      cancelled: 0,
      onTime: 1,
      late: 1,
    });
    assert.equal(dayA.bucketStart, DAY);
    assert.equal(dayA.latency.max, 3_000);
    const hourSum = hoursA.reduce((n, r) => n + r.counts.total, 0);
    assert.equal(hourSum, dayA.counts.total);
  });

  it("folding in two batches and merging equals folding once", () => {
    const once = foldSamples(samples, ["day"]).find((r) => r.name === "a")!;
    const first = foldSamples(samples.slice(0, 2), ["day"]).find((r) => r.name === "a")!;
    const second = foldSamples(samples.slice(2), ["day"]).find((r) => r.name === "a")!;
    assert.deepEqual(mergeRollups(first, second), once);
  });

  it("rates: success and on-time", () => {
    const rates = ratesOf(foldSamples(samples, ["day"]).filter((r) => r.name === "a"));
    assert.equal(rates.successRate, 0.5);
    assert.equal(rates.onTimeRate, 0.5);
    assert.equal(rates.durationMax, 100);
    assert.equal(rates.uptime, null);
  });

  it("buckets are UTC hours and days", () => {
    assert.equal(bucketStart(DAY + 25 * H + 7, "day"), DAY + 86_400_000);
    assert.equal(bucketStart(DAY + 25 * H + 7, "hour"), DAY + 25 * H);
  });
});

describe("uptimeBetween", () => {
  const cases: [string, Parameters<typeof uptimeBetween>, { upMs: number; observedMs: number }][] = [
    ["online all along", ["ONLINE", [], 0, 100], { upMs: 100, observedMs: 100 }],
    [
      "unknown is not observed",
      ["UNKNOWN", [{ at: 40, to: "ONLINE" }], 0, 100],
      { upMs: 60, observedMs: 60 },
    ],
    [
      "down for a while",
      [
        "ONLINE",
        [
          { at: 20, to: "OFFLINE" },
          { at: 50, to: "ONLINE" },
        ],
        0,
        100,
      ],
      { upMs: 70, observedMs: 100 },
    ],
    [
      "transitions outside the window",
      [
        "UNKNOWN",
        [
          { at: -5, to: "OFFLINE" },
          { at: 200, to: "ONLINE" },
        ],
        0,
        100,
      ],
      { upMs: 0, observedMs: 100 },
    ],
  ];
  for (const [name, args, expected] of cases)
    it(name, () => assert.deepEqual(uptimeBetween(...args), expected));
});
