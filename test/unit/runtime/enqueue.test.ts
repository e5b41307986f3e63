import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_BACKOFF } from "../../../src/core/backoff.ts";
import { InvalidOptionError, InvalidPayloadError, UnknownJobTypeError } from "../../../src/errors.ts";
import { buildJobInsert, type EnqueueOptions } from "../../../src/runtime/enqueue.ts";
import { defineJob, JobRegistry } from "../../../src/runtime/registry.ts";
import type { JobInsert } from "../../../src/store/ports/job-store.ts";

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const noop = async () => {};

function registry(): JobRegistry {
  const r = new JobRegistry();
  r.register(defineJob("plain", noop) as never);
  r.register(
    defineJob("send-email", noop, {
      queue: "mail",
      priority: 5,
      maxAttempts: 7,
      timeout: "30s",
      backoff: { type: "fixed", delay: "10s" },
    }) as never,
  );
  return r;
}

const build = (type: string, payload: unknown, options: EnqueueOptions = {}) =>
  buildJobInsert(registry(), type, payload, options, NOW);

describe("buildJobInsert", () => {
  it("builds the row with type defaults", () => {
    const expected: JobInsert = {
      type: "plain",
      queue: "default",
      payload: '{"to":"a@example.com"}',
      priority: 0,
      maxAttempts: 3,
      runAt: NOW,
      key: null,
      timeoutMs: null,
      backoff: JSON.stringify(DEFAULT_BACKOFF),
      stateKey: null,
    };
    assert.deepEqual(build("plain", { to: "a@example.com" }), expected);
  });

  it("uses the type's own options", () => {
    assert.deepEqual(build("send-email", null), {
      type: "send-email",
      queue: "mail",
      payload: "null",
      priority: 5,
      maxAttempts: 7,
      runAt: NOW,
      key: null,
      timeoutMs: 30_000,
      backoff: JSON.stringify({ type: "fixed", delayMs: 10_000 }),
      stateKey: null,
    });
  });

  it("per-job options override the type's", () => {
    const row = build(
      "send-email",
      { n: 1 },
      {
        queue: "urgent",
        priority: -3,
        maxAttempts: 1,
        timeout: "2m",
        backoff: { type: "exponential", base: "5s", max: "1m", jitter: false },
        key: "order-42",
        stateKey: "mailer",
      },
    );
    assert.deepEqual(row, {
      type: "send-email",
      queue: "urgent",
      payload: '{"n":1}',
      priority: -3,
      maxAttempts: 1,
      runAt: NOW,
      key: "order-42",
      timeoutMs: 120_000,
      backoff: JSON.stringify({ type: "exponential", baseMs: 5_000, maxMs: 60_000, jitter: false }),
      stateKey: "mailer",
    });
  });

  it("a per-job override of one option leaves the others at the type's values", () => {
    const row = build("send-email", null, { priority: 1 });
    assert.equal(row.priority, 1);
    assert.equal(row.queue, "mail");
    assert.equal(row.maxAttempts, 7);
    assert.equal(row.timeoutMs, 30_000);
  });

  it("serializes Dates in the payload as ISO text", () => {
    assert.equal(build("plain", { at: new Date(NOW) }).payload, '{"at":"2030-01-01T12:00:00.000Z"}');
  });

  it("an absent payload is stored as null", () => {
    assert.equal(build("plain", undefined).payload, "null");
  });

  describe("runAt and delay", () => {
    const cases: [options: EnqueueOptions, expected: number][] = [
      [{}, NOW],
      [{ delay: "10s" }, NOW + 10_000],
      [{ delay: 1_500 }, NOW + 1_500],
      [{ delay: "1h" }, NOW + 3_600_000],
      [{ delay: 0 }, NOW],
      [{ runAt: NOW + 60_000 }, NOW + 60_000],
      [{ runAt: new Date(NOW + 60_000) }, NOW + 60_000],
      [{ runAt: NOW - 60_000 }, NOW - 60_000], // a past instant runs at once, keeping its time
    ];
    for (const [options, expected] of cases) {
      it(`${JSON.stringify(options)} → runAt = now + ${expected - NOW}`, () => {
        assert.equal(build("plain", null, options).runAt, expected);
      });
    }
  });
});

describe("buildJobInsert rejects", () => {
  it("an unknown type, naming it and the known ones", () => {
    assert.throws(
      () => build("send-emial", null),
      (error: unknown) => {
        assert.ok(error instanceof UnknownJobTypeError);
        assert.equal(error.code, "UNKNOWN_JOB_TYPE");
        assert.equal(
          error.message,
          'unknown job type "send-emial": register it with defineJob first (known: plain, send-email)',
        );
        return true;
      },
    );
  });

  it("an unknown type in an empty registry", () => {
    assert.throws(() => buildJobInsert(new JobRegistry(), "x", null, {}, NOW), {
      name: "UnknownJobTypeError",
      message: 'unknown job type "x": register it with defineJob first (known: none)',
    });
  });

  const payloads: [label: string, payload: unknown, message: string][] = [
    ["a function", { cb: () => 1 }, 'job "plain": payload.cb is a function (not JSON)'],
    ["a bigint", [1n], 'job "plain": payload[0] is a bigint (not JSON)'],
    ["NaN", { a: { b: Number.NaN } }, 'job "plain": payload.a.b is NaN (not JSON)'],
    ["a Map", new Map(), 'job "plain": payload is a Map object (not JSON)'],
  ];
  for (const [label, payload, message] of payloads) {
    it(`a payload with ${label}`, () => {
      assert.throws(
        () => build("plain", payload),
        (error: unknown) => {
          assert.ok(error instanceof InvalidPayloadError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  const options: [label: string, options: EnqueueOptions, message: string][] = [
    [
      "a bad queue name",
      { queue: "bad queue" },
      'enqueue "plain": invalid queue name "bad queue": use 1-64 letters, digits, "_", "-" or "."',
    ],
    [
      "an empty queue name",
      { queue: "" },
      'enqueue "plain": invalid queue name "": use 1-64 letters, digits, "_", "-" or "."',
    ],
    ["a negative delay", { delay: -5 }, 'enqueue "plain": delay must not be negative, got -5'],
    [
      "a negative delay as text",
      { delay: "-5s" },
      'enqueue "plain": delay: "-5s" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    [
      "a delay that is not a duration",
      { delay: "soon" },
      'enqueue "plain": delay: "soon" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    [
      "a NaN delay",
      { delay: Number.NaN },
      'enqueue "plain": delay: NaN is not a non-negative number of milliseconds',
    ],
    [
      "runAt and delay together",
      { runAt: NOW, delay: "1s" },
      'enqueue "plain": give runAt or delay, not both',
    ],
    [
      "an invalid runAt Date",
      { runAt: new Date(Number.NaN) },
      'enqueue "plain": runAt is not a valid instant',
    ],
    [
      "an infinite runAt",
      { runAt: Number.POSITIVE_INFINITY },
      'enqueue "plain": runAt is not a valid instant',
    ],
    ["a fractional priority", { priority: 1.5 }, 'enqueue "plain": priority must be an integer, got 1.5'],
    ["maxAttempts 0", { maxAttempts: 0 }, 'enqueue "plain": maxAttempts must be an integer ≥ 1, got 0'],
    ["a zero timeout", { timeout: 0 }, 'enqueue "plain": timeout must be greater than 0'],
    [
      "a bad timeout",
      { timeout: "forever" },
      'enqueue "plain": timeout: "forever" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    [
      "a bad backoff",
      { backoff: { type: "fixed", delay: "x" } },
      'enqueue "plain": backoff.delay: "x" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    ["an empty key", { key: "" }, 'enqueue "plain": key must be a string of 1-255 characters'],
    ["a 256-char key", { key: "k".repeat(256) }, 'enqueue "plain": key must be a string of 1-255 characters'],
    ["an empty stateKey", { stateKey: "" }, 'enqueue "plain": stateKey must be a string of 1-255 characters'],
  ];
  for (const [label, opts, message] of options) {
    it(label, () => {
      assert.throws(
        () => build("plain", null, opts),
        (error: unknown) => {
          assert.ok(error instanceof InvalidOptionError, `got ${String(error)}`);
          assert.equal(error.code, "INVALID_OPTION");
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  it("accepts a 255-char key", () => {
    assert.equal(build("plain", null, { key: "k".repeat(255) }).key, "k".repeat(255));
  });
});
