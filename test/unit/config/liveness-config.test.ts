import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeEnv } from "../../../src/config/load.ts";
import { ConfigError, InvalidOptionError } from "../../../src/errors.ts";
import { checkTickflowOptions } from "../../../src/runtime/tickflow-options.ts";

/** The proof-of-liveness settings (spec §11): config keys, their variables, defaults and errors. */
describe("liveness settings in the config and the environment", () => {
  it("has the documented defaults", () => {
    const c = mergeEnv({}, {});
    assert.deepEqual(
      [c.systemConcurrency, c.stallThresholdMs, c.stallDegradedForMs, c.failingAfter],
      [2, 1_000, 60_000, 1],
    );
    assert.deepEqual(
      [c.startupGraceMs, c.tickRetentionMs, c.rollupLagMs],
      [15_000, 30 * 86_400_000, 3_600_000],
    );
  });

  it("reads every one from its variable, which wins over the file", () => {
    const c = mergeEnv(
      { systemConcurrency: 4, tickRetention: "7d" },
      {
        TICKFLOW_SYSTEM_CONCURRENCY: "0",
        TICKFLOW_STALL_THRESHOLD: "off",
        TICKFLOW_STALL_DEGRADED_FOR: "5s",
        TICKFLOW_FAILING_AFTER: "3",
        TICKFLOW_STARTUP_GRACE: "30000",
        TICKFLOW_TICK_RETENTION: "forever",
        TICKFLOW_ROLLUP_LAG: "10m",
      },
    );
    assert.deepEqual(
      [c.systemConcurrency, c.stallThresholdMs, c.stallDegradedForMs, c.failingAfter],
      [0, null, 5_000, 3],
    );
    assert.deepEqual([c.startupGraceMs, c.tickRetentionMs, c.rollupLagMs], [30_000, null, 600_000]);
  });

  const bad: [NodeJS.ProcessEnv, RegExp][] = [
    [{ TICKFLOW_SYSTEM_CONCURRENCY: "many" }, /^TICKFLOW_SYSTEM_CONCURRENCY: /],
    [{ TICKFLOW_SYSTEM_CONCURRENCY: "101" }, /^TICKFLOW_SYSTEM_CONCURRENCY: .*100/],
    [{ TICKFLOW_FAILING_AFTER: "0" }, /^TICKFLOW_FAILING_AFTER: .*1/],
    [{ TICKFLOW_STALL_THRESHOLD: "5ms" }, /^TICKFLOW_STALL_THRESHOLD: .*10ms/],
    [{ TICKFLOW_STALL_THRESHOLD: "never" }, /^TICKFLOW_STALL_THRESHOLD: /],
    [{ TICKFLOW_TICK_RETENTION: "10s" }, /^TICKFLOW_TICK_RETENTION: .*60000ms/],
    [{ TICKFLOW_ROLLUP_LAG: "2d" }, /^TICKFLOW_ROLLUP_LAG: .*at most/],
    [{ TICKFLOW_STARTUP_GRACE: "soon" }, /^TICKFLOW_STARTUP_GRACE: .*not a duration/],
  ];
  for (const [env, problem] of bad) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => mergeEnv({}, env),
        (error: unknown) =>
          error instanceof ConfigError && error.problems.length === 1 && problem.test(error.problems[0]!),
      );
    });
  }
});

describe("liveness options of createTickflow", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ stallThresholdMs: 5 }, /stallThresholdMs must be whole milliseconds from 10 .*or null, got 5/],
    [{ tickRetentionMs: -1 }, /tickRetentionMs must be whole milliseconds/],
    [{ rollupLagMs: null }, /rollupLagMs must be whole milliseconds from 0 to 86400000, got null/],
    [{ startupGraceMs: 1.5 }, /startupGraceMs must be whole milliseconds/],
    [{ stallDegradedForMs: "1m" }, /stallDegradedForMs must be whole milliseconds/],
    [{ systemConcurrency: -1 }, /systemConcurrency must be an integer of at least 0/],
    [{ failingAfter: 0 }, /failingAfter must be an integer of at least 1/],
  ];
  for (const [options, message] of bad) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => checkTickflowOptions(options),
        (e: unknown) => e instanceof InvalidOptionError && message.test(e.message),
      );
    });
  }

  it("takes null for the watchdog and tick retention (off, kept forever)", () => {
    checkTickflowOptions({
      stallThresholdMs: null,
      tickRetentionMs: null,
      rollupLagMs: 0,
      systemConcurrency: 0,
    });
  });
});
