import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clampTimerMs, MAX_TIMER_MS } from "../../../src/core/limits.ts";

describe("clampTimerMs: every timer's delay fits setTimeout", () => {
  const cases: [input: number, expected: number][] = [
    [0, 0],
    [1_500, 1_500],
    [MAX_TIMER_MS, MAX_TIMER_MS],
    [MAX_TIMER_MS + 1, MAX_TIMER_MS],
    [30 * 86_400_000, MAX_TIMER_MS],
    [Number.POSITIVE_INFINITY, MAX_TIMER_MS],
    [-5, 0],
    [Number.NaN, 0],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(clampTimerMs(input), expected));
  }
});
