import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  afterFailure,
  type BackoffOption,
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  parseBackoff,
  retryDelayMs,
} from "../../../src/core/backoff.ts";
import { InvalidOptionError } from "../../../src/errors.ts";

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
/** The largest double below 1: what Math.random() can return at most. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

const noJitter: BackoffPolicy = { type: "exponential", baseMs: 1_000, maxMs: 60_000, jitter: false };
const withJitter: BackoffPolicy = { ...noJitter, jitter: true };

describe("retryDelayMs, exponential without jitter", () => {
  const cases: [attempt: number, expected: number][] = [
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 8_000],
    [5, 16_000],
    [6, 32_000],
    [7, 60_000], // 64 s capped at 60 s
    [8, 60_000],
    [50, 60_000],
    [5_000, 60_000], // 2^4999 overflows to Infinity; still capped
  ];
  for (const [attempt, expected] of cases) {
    it(`attempt ${attempt} → ${expected}ms`, () => {
      assert.equal(retryDelayMs(attempt, noJitter, 0.5), expected);
    });
  }

  it("ignores the random value when jitter is off", () => {
    assert.equal(retryDelayMs(3, noJitter, 0), 4_000);
    assert.equal(retryDelayMs(3, noJitter, ALMOST_ONE), 4_000);
  });

  it("treats attempt 0 like attempt 1 (no sub-base delay)", () => {
    assert.equal(retryDelayMs(0, noJitter, 0), 1_000);
  });
});

describe("retryDelayMs, exponential with jitter", () => {
  const cases: [attempt: number, random01: number, expected: number][] = [
    [1, 0, 500], // random 0 → half the nominal delay
    [1, 0.5, 750],
    [1, ALMOST_ONE, 1_000], // random → 1 → (rounded) the full nominal delay
    [3, 0, 2_000],
    [3, 0.5, 3_000],
    [3, ALMOST_ONE, 4_000],
    [7, 0, 30_000], // the cap applies before jitter
    [7, ALMOST_ONE, 60_000],
    [20, 0.25, 37_500],
  ];
  for (const [attempt, random01, expected] of cases) {
    it(`attempt ${attempt}, random ${random01} → ${expected}ms`, () => {
      assert.equal(retryDelayMs(attempt, withJitter, random01), expected);
    });
  }

  it("stays within [nominal/2, nominal] for a spread of random values", () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const nominal = Math.min(60_000, 1_000 * 2 ** (attempt - 1));
      for (let i = 0; i < 100; i++) {
        const random01 = i / 100;
        const delay = retryDelayMs(attempt, withJitter, random01);
        assert.ok(delay >= nominal / 2, `attempt ${attempt} random ${random01}: ${delay} < ${nominal / 2}`);
        assert.ok(delay <= nominal, `attempt ${attempt} random ${random01}: ${delay} > ${nominal}`);
      }
    }
  });

  it("is monotonic in the random value", () => {
    let previous = -1;
    for (let i = 0; i < 100; i++) {
      const delay = retryDelayMs(4, withJitter, i / 100);
      assert.ok(delay >= previous);
      previous = delay;
    }
  });
});

describe("retryDelayMs, fixed", () => {
  const fixed: BackoffPolicy = { type: "fixed", delayMs: 7_000 };
  for (const [attempt, random01] of [
    [1, 0],
    [2, 0.5],
    [10, ALMOST_ONE],
  ] as const) {
    it(`attempt ${attempt}, random ${random01} → 7000ms`, () => {
      assert.equal(retryDelayMs(attempt, fixed, random01), 7_000);
    });
  }
});

describe("afterFailure", () => {
  const cases: [attempt: number, maxAttempts: number, expected: ReturnType<typeof afterFailure>][] = [
    [1, 3, { state: "retry_scheduled", runAt: NOW + 1_000 }],
    [2, 3, { state: "retry_scheduled", runAt: NOW + 2_000 }],
    [3, 3, { state: "discarded" }],
    [4, 3, { state: "discarded" }], // past the limit (e.g. lowered maxAttempts) still discards
    [1, 1, { state: "discarded" }],
    [6, 10, { state: "retry_scheduled", runAt: NOW + 32_000 }],
    [9, 10, { state: "retry_scheduled", runAt: NOW + 60_000 }],
    [10, 10, { state: "discarded" }],
  ];
  for (const [attempt, maxAttempts, expected] of cases) {
    it(`attempt ${attempt} of ${maxAttempts} → ${expected.state}`, () => {
      assert.deepEqual(afterFailure(attempt, maxAttempts, noJitter, NOW, 0.5), expected);
    });
  }

  it("applies jitter to runAt", () => {
    assert.deepEqual(afterFailure(2, 5, withJitter, NOW, 0), {
      state: "retry_scheduled",
      runAt: NOW + 1_000,
    });
  });

  it("uses a fixed delay", () => {
    assert.deepEqual(afterFailure(2, 5, { type: "fixed", delayMs: 250 }, NOW, 0.9), {
      state: "retry_scheduled",
      runAt: NOW + 250,
    });
  });
});

describe("parseBackoff", () => {
  const valid: [option: BackoffOption | undefined, expected: BackoffPolicy][] = [
    [undefined, { type: "exponential", baseMs: 1_000, maxMs: 3_600_000, jitter: true }],
    [{ type: "exponential" }, { type: "exponential", baseMs: 1_000, maxMs: 3_600_000, jitter: true }],
    [
      { type: "exponential", base: "2s", max: "5m", jitter: false },
      { type: "exponential", baseMs: 2_000, maxMs: 300_000, jitter: false },
    ],
    [
      { type: "exponential", base: 250, max: 10_000 },
      { type: "exponential", baseMs: 250, maxMs: 10_000, jitter: true },
    ],
    [
      { type: "fixed", delay: "30s" },
      { type: "fixed", delayMs: 30_000 },
    ],
    [
      { type: "fixed", delay: 0 },
      { type: "fixed", delayMs: 0 },
    ],
  ];
  for (const [option, expected] of valid) {
    it(`${JSON.stringify(option) ?? "undefined"} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseBackoff(option), expected);
    });
  }

  it("returns the documented default: 1 s doubling to 1 h with jitter", () => {
    assert.deepEqual(DEFAULT_BACKOFF, { type: "exponential", baseMs: 1_000, maxMs: 3_600_000, jitter: true });
  });

  const invalid: [option: unknown, message: RegExp][] = [
    [{ type: "fixed", delay: "abc" }, /backoff\.delay: "abc" is not a duration/],
    [{ type: "fixed", delay: -5 }, /backoff\.delay: -5 is not a non-negative/],
    [{ type: "exponential", base: "-1s" }, /backoff\.base: "-1s" is not a duration/],
    [{ type: "exponential", max: "forever" }, /backoff\.max: "forever" is not a duration/],
    [{ type: "exponential", max: Number.NaN }, /backoff\.max: NaN/],
    [{ type: "linear" }, /backoff\.type must be "exponential" or "fixed"/],
    [{}, /backoff\.type must be "exponential" or "fixed"/],
  ];
  for (const [option, message] of invalid) {
    it(`rejects ${JSON.stringify(option)}`, () => {
      assert.throws(
        () => parseBackoff(option as BackoffOption),
        (error: unknown) => {
          assert.ok(error instanceof InvalidOptionError);
          assert.equal(error.code, "INVALID_OPTION");
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
