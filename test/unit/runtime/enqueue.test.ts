import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_BACKOFF } from "../../../src/core/backoff.ts";
import { InvalidOptionError, InvalidPayloadError, UnknownJobTypeError } from "../../../src/errors.ts";
import {
  buildJobInsert,
  buildJobInserts,
  checkEnqueueManyItems,
  type EnqueueOptions,
} from "../../../src/runtime/enqueue.ts";
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
      concurrencyKey: null,
      dedupe: null,
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
      concurrencyKey: null,
      dedupe: null,
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
      concurrencyKey: null,
      dedupe: null,
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
      'enqueue "plain": runAt must be a Date or epoch milliseconds, got a Date',
    ],
    [
      "an infinite runAt",
      { runAt: Number.POSITIVE_INFINITY },
      'enqueue "plain": runAt must be a Date or epoch milliseconds, got Infinity',
    ],
    [
      "a runAt as text",
      { runAt: "tomorrow" as unknown as number },
      'enqueue "plain": runAt must be a Date or epoch milliseconds, got "tomorrow"',
    ],
    [
      "runAt 1e20 (past what Date and the stores hold)",
      { runAt: 1e20 },
      'enqueue "plain": runAt 100000000000000000000 is out of range: from 1970-01-01 to 9999-12-31 (epoch ms 0 to 253402300799999)',
    ],
    [
      "a negative runAt",
      { runAt: -1 },
      'enqueue "plain": runAt -1 is out of range: from 1970-01-01 to 9999-12-31 (epoch ms 0 to 253402300799999)',
    ],
    [
      'delay "99999999d"',
      { delay: "99999999d" },
      'enqueue "plain": delay: "99999999d" is too long: at most 3153600000000ms (about 36500 days)',
    ],
    [
      "a delay that is an object",
      { delay: {} as unknown as string },
      'enqueue "plain": delay: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "a fractional priority",
      { priority: 1.5 },
      'enqueue "plain": priority must be an integer from -2147483648 to 2147483647, got 1.5',
    ],
    [
      "priority 2**40",
      { priority: 2 ** 40 },
      'enqueue "plain": priority must be an integer from -2147483648 to 2147483647, got 1099511627776',
    ],
    [
      "maxAttempts 0",
      { maxAttempts: 0 },
      'enqueue "plain": maxAttempts must be an integer from 1 to 1000000, got 0',
    ],
    [
      "maxAttempts 1e12",
      { maxAttempts: 1e12 },
      'enqueue "plain": maxAttempts must be an integer from 1 to 1000000, got 1000000000000',
    ],
    [
      "a timeout past what setTimeout holds (it would fire at once)",
      { timeout: "30d" },
      'enqueue "plain": timeout: "30d" is too long: at most 2147483647ms (about 24.9 days)',
    ],
    [
      "a timeout that is an object",
      { timeout: {} as unknown as string },
      'enqueue "plain": timeout: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "a backoff delay that is an object",
      { backoff: { type: "fixed", delay: {} as unknown as string } },
      'enqueue "plain": backoff.delay: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "a backoff with a typo",
      { backoff: { type: "fixed", dealy: "1s" } as never },
      'enqueue "plain": unknown option "dealy" in backoff (did you mean "delay"?)',
    ],
    [
      "a backoff that is text",
      { backoff: "exponential" as never },
      'enqueue "plain": backoff must be { type: "exponential", base?, max?, jitter? } or { type: "fixed", delay }, got "exponential"',
    ],
    [
      "stateful as text",
      { stateful: "yes" as unknown as boolean },
      'enqueue "plain": stateful must be true or false, got "yes"',
    ],
    [
      "an unknown option: dealy",
      { dealy: "10m" } as EnqueueOptions,
      'enqueue "plain": unknown option "dealy" in enqueue options (did you mean "delay"?)',
    ],
    [
      "an unknown option far from any",
      { frobnicate: 1 } as EnqueueOptions,
      'enqueue "plain": unknown option "frobnicate" in enqueue options (known: queue, priority, maxAttempts, backoff, timeout, stateful, runAt, delay, key, stateKey, concurrencyKey, debounce, throttle, singleton, client)',
    ],
    [
      "options that are not an object",
      "10m" as unknown as EnqueueOptions,
      'enqueue "plain": enqueue options must be an object, got "10m"',
    ],
    [
      "a client that is not a pg client",
      { client: { query: 1 } as never },
      'enqueue "plain": client must be a pg Client or PoolClient (from the pg package) inside an open transaction, got an object',
    ],
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

  it("rounds a fractional runAt to whole milliseconds", () => {
    assert.equal(build("plain", null, { runAt: NOW + 0.6 }).runAt, NOW + 1);
  });

  it("refuses a 20 000-deep payload with a clear error (not a RangeError)", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    assert.throws(
      () => build("plain", deep),
      (error: unknown) =>
        error instanceof InvalidPayloadError &&
        /^job "plain": payload is nested deeper than 256 levels/.test(error.message),
    );
  });

  it("accepts a 255-char key", () => {
    assert.equal(build("plain", null, { key: "k".repeat(255) }).key, "k".repeat(255));
  });
});

describe("buildJobInserts (a batch)", () => {
  it("builds what buildJobInsert builds, item by item, options shared or not", () => {
    const shared: EnqueueOptions = { priority: 3, delay: "1m" };
    const items = [
      { type: "plain", payload: { n: 1 }, options: shared },
      { type: "plain", payload: { n: 2 }, options: shared },
      { type: "send-email", payload: { n: 3 }, options: shared },
      { type: "send-email", payload: { n: 4 }, options: undefined },
      { type: "plain", payload: { n: 5 }, options: { key: "k" } },
      { type: "plain", payload: null, options: undefined },
    ];
    assert.deepEqual(
      buildJobInserts(registry(), items, NOW),
      items.map((i) => build(i.type, i.payload, i.options)),
    );
  });

  it("refuses the first bad item, naming its problem, whether its options are shared or its own", () => {
    const shared: EnqueueOptions = {};
    assert.throws(
      () =>
        buildJobInserts(
          registry(),
          [
            { type: "plain", payload: 1, options: shared },
            { type: "plain", payload: { f: () => 1 }, options: shared },
          ],
          NOW,
        ),
      InvalidPayloadError,
    );
    assert.throws(
      () =>
        buildJobInserts(
          registry(),
          [
            { type: "plain", payload: 1, options: shared },
            { type: "plain", payload: 2, options: { priority: 1.5 } },
          ],
          NOW,
        ),
      InvalidOptionError,
    );
    assert.throws(
      () => buildJobInserts(registry(), [{ type: "nope", payload: 1, options: undefined }], NOW),
      UnknownJobTypeError,
    );
  });
});

describe("checkEnqueueManyItems", () => {
  const cases: [label: string, items: unknown, message: string][] = [
    ["a string", "nope", 'enqueueMany: expected an array of { type, payload?, options? }, got "nope"'],
    ["null", null, "enqueueMany: expected an array of { type, payload?, options? }, got null"],
    ["an item that is a number", [1], "enqueueMany: item 0 must be an object, got 1"],
    [
      "an item with a typo",
      [{ type: "plain", payloda: {} }],
      'enqueueMany: unknown option "payloda" in item 0 (did you mean "payload"?)',
    ],
    [
      "an item without a type",
      [{ payload: {} }],
      "enqueueMany: item 0: type must be a job type name or a defineJob(…) result, got undefined",
    ],
  ];
  for (const [label, items, message] of cases) {
    it(label, () => {
      assert.throws(
        () => checkEnqueueManyItems(items),
        (error: unknown) => error instanceof InvalidOptionError && error.message === message,
      );
    });
  }

  it("accepts names and definitions", () => {
    checkEnqueueManyItems([{ type: "plain" }, { type: defineJob("x", noop), payload: 1, options: {} }]);
  });
});

describe("defineJob refuses unknown and wrong-typed options", () => {
  const cases: [label: string, options: unknown, message: string][] = [
    [
      "maxAtempts",
      { maxAtempts: 3 },
      'job "j": unknown option "maxAtempts" in defineJob options (did you mean "maxAttempts"?)',
    ],
    [
      "delay (an enqueue option)",
      { delay: "1s" },
      'job "j": unknown option "delay" in defineJob options (known: queue, priority, maxAttempts, backoff, timeout, stateful, lane, concurrencyKey)',
    ],
    ["options that are a number", 3, 'job "j": defineJob options must be an object, got 3'],
    [
      "timeout {}",
      { timeout: {} },
      'job "j": timeout: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "timeout 2^31 ms",
      { timeout: 2 ** 31 },
      'job "j": timeout: 2147483648 is too long: at most 2147483647ms (about 24.9 days)',
    ],
  ];
  for (const [label, options, message] of cases) {
    it(label, () => {
      assert.throws(
        () => defineJob("j", noop, options as never),
        (error: unknown) => error instanceof InvalidOptionError && error.message === message,
        message,
      );
    });
  }

  it("a timeout of exactly 2^31-1 ms is accepted", () => {
    assert.equal(defineJob("j", noop, { timeout: 2 ** 31 - 1 }).options.timeoutMs, 2 ** 31 - 1);
  });
});

describe("enqueue limit options", () => {
  it("concurrencyKey, from the option or the type's concurrencyKey(payload)", () => {
    const keyed = defineJob<{ tenant: string }>("keyed", async () => {}, { concurrencyKey: (p) => p.tenant });
    const r = new JobRegistry();
    r.register(keyed as never);
    assert.equal(buildJobInsert(r, "keyed", { tenant: "acme" }, {}, NOW).concurrencyKey, "acme");
    assert.equal(
      buildJobInsert(r, "keyed", { tenant: "acme" }, { concurrencyKey: "x" }, NOW).concurrencyKey,
      "x",
    );
    assert.throws(
      () => buildJobInsert(r, "keyed", { tenant: 5 }, {}, NOW),
      /concurrencyKey\(payload\) must return a string/,
    );
  });

  it("debounce delays the job; throttle and singleton carry their key; one of them at most", () => {
    const debounced = build("plain", {}, { debounce: { key: "k", delay: "5s" } });
    assert.deepEqual(debounced.dedupe, { mode: "debounce", key: "k", windowMs: 5_000 });
    assert.equal(debounced.runAt, NOW + 5_000);
    assert.deepEqual(build("plain", {}, { throttle: { key: "k", window: "1m" } }).dedupe, {
      mode: "throttle",
      key: "k",
      windowMs: 60_000,
    });
    assert.deepEqual(build("plain", {}, { singleton: { key: "k" } }).dedupe, {
      mode: "singleton",
      key: "k",
      windowMs: 0,
    });
    assert.throws(
      () => build("plain", {}, { singleton: { key: "k" }, throttle: { key: "k", window: "1s" } }),
      /give one of debounce, throttle and singleton/,
    );
    assert.throws(
      () => build("plain", {}, { debounce: { key: "k" } as never }),
      /debounce.delay is required/,
    );
    assert.throws(() => build("plain", {}, { singleton: { key: "" } }), /singleton.key must be a string/);
  });
});
