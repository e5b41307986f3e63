import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Duration, formatDuration, parseDuration } from "../../../src/core/duration.ts";
import { InvalidOptionError } from "../../../src/errors.ts";

describe("parseDuration accepts", () => {
  const cases: [input: Duration, expected: number][] = [
    ["500ms", 500],
    ["0ms", 0],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["7d", 604_800_000],
    ["1.5s", 1_500],
    ["0.5m", 30_000],
    ["2.5ms", 3], // rounded to whole milliseconds
    [" 30s ", 30_000], // surrounding spaces are ignored
    [0, 0],
    [1_500, 1_500],
    [1.4, 1],
    [1.6, 2],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(parseDuration(input, "timeout"), expected);
    });
  }
});

describe("parseDuration rejects, naming the option and the bad value", () => {
  const cases: [input: Duration, what: string, message: string][] = [
    ["abc", "timeout", 'timeout: "abc" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["-5s", "every", 'every: "-5s" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["", "lease", 'lease: "" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["30", "grace", 'grace: "30" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["1h30m", "timeout", 'timeout: "1h30m" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["5 s", "timeout", 'timeout: "5 s" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["5S", "timeout", 'timeout: "5S" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    ["1w", "timeout", 'timeout: "1w" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    [".5s", "timeout", 'timeout: ".5s" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")'],
    [-1, "delay", "delay: -1 is not a non-negative number of milliseconds"],
    [Number.NaN, "delay", "delay: NaN is not a non-negative number of milliseconds"],
    [Number.POSITIVE_INFINITY, "delay", "delay: Infinity is not a non-negative number of milliseconds"],
  ];
  for (const [input, what, message] of cases) {
    it(`${what} = ${typeof input === "string" ? JSON.stringify(input) : String(input)}`, () => {
      assert.throws(
        () => parseDuration(input, what),
        (error: unknown) => {
          assert.ok(error instanceof InvalidOptionError);
          assert.equal(error.code, "INVALID_OPTION");
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }
});

describe("formatDuration", () => {
  const cases: [ms: number, expected: string][] = [
    [0, "0ms"],
    [250, "250ms"],
    [999, "999ms"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [30_000, "30s"],
    [60_000, "1m"],
    [90_000, "1.5m"],
    [3_600_000, "1h"],
    [5_400_000, "1.5h"],
    [86_400_000, "24h"],
  ];
  for (const [ms, expected] of cases) {
    it(`${ms} → ${expected}`, () => {
      assert.equal(formatDuration(ms), expected);
    });
  }
});
