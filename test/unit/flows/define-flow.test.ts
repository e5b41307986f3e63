import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_BACKOFF } from "../../../src/core/backoff.ts";
import { InvalidFlowError } from "../../../src/errors.ts";
import { defineFlow, type FlowOptions, isFlowDefinition } from "../../../src/flows/define-flow.ts";
import { toFlowDefinitionRow, toFlowSchedule } from "../../../src/flows/sync-flows.ts";

const run = async () => undefined;

function rejects(options: Partial<FlowOptions> | null, pattern: RegExp): void {
  assert.throws(
    () => defineFlow(options as FlowOptions),
    (error: unknown) => {
      assert.ok(error instanceof InvalidFlowError, `expected InvalidFlowError, got ${String(error)}`);
      assert.equal(error.code, "INVALID_FLOW");
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("defineFlow", () => {
  it("defaults: queue default, 2 retries, no timeout, the job backoff, no schedule", () => {
    const flow = defineFlow({ name: "etl", run });
    assert.equal(flow.name, "etl");
    assert.equal(flow.queue, "default");
    assert.equal(flow.retries, 2);
    assert.equal(flow.timeoutMs, null);
    assert.deepEqual(flow.backoff, DEFAULT_BACKOFF);
    assert.equal(flow.schedule, null);
    assert.equal(flow.run, run);
    assert.equal(isFlowDefinition(flow), true);
    assert.equal(isFlowDefinition({ ...flow }), true, "the brand survives a spread");
    assert.equal(isFlowDefinition({ name: "etl", run }), false);
  });

  it("takes a custom queue, retries, timeout and backoff", () => {
    const flow = defineFlow({
      name: "etl.v2_nightly-run",
      queue: "etl.high_prio-1",
      retries: 0,
      timeout: "5m",
      backoff: { type: "fixed", delay: "2s" },
      run,
    });
    assert.equal(flow.queue, "etl.high_prio-1");
    assert.equal(flow.retries, 0);
    assert.equal(flow.timeoutMs, 300_000);
    assert.deepEqual(flow.backoff, { type: "fixed", delayMs: 2_000 });
  });

  const badNames: [unknown, string][] = [
    ["", "empty"],
    ["a".repeat(65), "65 characters"],
    ["has space", "a space"],
    ["etl/nightly", "a slash"],
    ["etl:nightly", "a colon"],
    ["ünïcode", "non-ASCII letters"],
    [undefined, "missing"],
    [42, "a number"],
  ];
  for (const [name, why] of badNames) {
    it(`rejects the flow name ${JSON.stringify(name)} (${why}) with a clear error`, () => {
      rejects({ name: name as string, run }, /invalid flow name .*use 1-64 letters, digits, "_", "-" or "."/);
    });
  }

  it("accepts a 64-character name", () => {
    assert.equal(defineFlow({ name: "a".repeat(64), run }).name.length, 64);
  });

  const badQueues: [unknown, string][] = [
    ["", "empty"],
    ["q".repeat(65), "65 characters"],
    ["high priority", "a space"],
    ["a/b", "a slash"],
    ["queue!", "punctuation"],
    [7, "a number"],
  ];
  for (const [queue, why] of badQueues) {
    it(`rejects the queue ${JSON.stringify(queue)} (${why}), naming the flow`, () => {
      rejects({ name: "etl", queue: queue as string, run }, /^flow "etl": invalid queue name /);
    });
  }

  it("rejects bad retries, timeouts, backoffs and a missing run", () => {
    rejects({ name: "etl", retries: -1, run }, /flow "etl": retries must be an integer from 0 to 100/);
    rejects({ name: "etl", retries: 1.5, run }, /retries must be an integer/);
    rejects({ name: "etl", retries: 1_000, run }, /retries must be an integer from 0 to 100/);
    rejects({ name: "etl", timeout: "soon", run }, /flow "etl": timeout: "soon" is not a duration/);
    rejects({ name: "etl", timeout: 0, run }, /timeout must be greater than 0/);
    rejects({ name: "etl", backoff: { type: "linear" } as never, run }, /backoff.type must be/);
    rejects({ name: "etl" }, /flow "etl": run must be a function/);
    rejects(null, /needs an options object/);
  });

  it("reads a schedule: cron text, interval text, or an object", () => {
    assert.deepEqual(defineFlow({ name: "a", schedule: "*/5 * * * *", run }).schedule, {
      kind: "cron",
      expression: "*/5 * * * *",
      timezone: "UTC",
    });
    assert.deepEqual(defineFlow({ name: "b", schedule: "30s", run }).schedule, {
      kind: "every",
      intervalMs: 30_000,
    });
    assert.deepEqual(
      defineFlow({ name: "c", schedule: { cron: "0 9 * * 1", timezone: "Europe/Berlin" }, run }).schedule,
      {
        kind: "cron",
        expression: "0 9 * * 1",
        timezone: "Europe/Berlin",
      },
    );
    assert.deepEqual(defineFlow({ name: "d", schedule: { every: "1h" }, run }).schedule, {
      kind: "every",
      intervalMs: 3_600_000,
    });
  });

  it("rejects a bad schedule, naming the flow and the expression", () => {
    rejects(
      { name: "etl", schedule: "61 * * * *", run },
      /^flow "etl": invalid schedule: invalid cron expression "61 \* \* \* \*"/,
    );
    rejects(
      { name: "etl", schedule: "every day", run },
      /^flow "etl": invalid schedule: cron expression "every day" has 2 fields/,
    );
    rejects({ name: "etl", schedule: "10ms", run }, /shorter than the 100ms minimum/);
    rejects(
      { name: "etl", schedule: { cron: "* * * * *", timezone: "Mars/Olympus" }, run },
      /unknown time zone/,
    );
    rejects({ name: "etl", schedule: 5 as never, run }, /schedule must be a cron expression/);
  });

  it("refuses unknown keys with a did-you-mean, in the options and in a schedule object", () => {
    rejects(
      { name: "etl", retires: 3, run } as never,
      /^flow "etl": unknown option "retires" in defineFlow options \(did you mean "retries"\?\)$/,
    );
    rejects(
      { name: "etl", schedule: { crn: "* * * * *" }, run } as never,
      /^flow "etl": unknown option "crn" in schedule \(did you mean "cron"\?\)$/,
    );
  });

  it("refuses wrong-typed options and a timeout past what a timer holds", () => {
    rejects(
      { name: "etl", timeout: {} as never, run },
      /^flow "etl": timeout: expected milliseconds or a duration such as "30s", got an object$/,
    );
    rejects(
      { name: "etl", timeout: "30d", run },
      /^flow "etl": timeout: "30d" is too long: at most 2147483647ms/,
    );
    rejects(
      { name: "etl", schedule: { cron: 123 } as never, run },
      /^flow "etl": invalid schedule: cron must be a cron expression string/,
    );
    rejects(
      { name: "etl", backoff: { type: "fixed", delay: {} } as never, run },
      /^flow "etl": backoff.delay: expected milliseconds/,
    );
  });
});

describe("a flow's stored row and schedule", () => {
  it("a scheduled flow's schedule fires the flow-run job on the flow's queue with its retries", () => {
    const flow = defineFlow({ name: "etl", schedule: "1m", queue: "etl", retries: 4, timeout: "30s", run });
    const schedule = toFlowSchedule(flow)!;
    assert.equal(schedule.key, "etl");
    assert.equal(schedule.jobType, "tickflow.flow-run");
    assert.deepEqual(schedule.payload, { flow: "etl", source: "schedule" });
    assert.deepEqual(schedule.trigger, { kind: "every", intervalMs: 60_000 });
    assert.equal(schedule.overlap, "skip");
    assert.equal(schedule.jobOptions.queue, "etl");
    assert.equal(schedule.jobOptions.maxAttempts, 5);
    assert.equal(schedule.jobOptions.timeout, 30_000);
    const row = toFlowDefinitionRow(flow, Date.UTC(2030, 0, 1, 0, 0, 30));
    assert.equal(row.scheduleId, "etl");
    assert.equal(row.nextRunAt, Date.UTC(2030, 0, 1, 0, 1, 0));
    assert.equal(row.retries, 4);
  });

  it("an unscheduled flow has no schedule", () => {
    const flow = defineFlow({ name: "manual-only", run });
    assert.equal(toFlowSchedule(flow), null);
    assert.equal(toFlowDefinitionRow(flow, 0).scheduleId, null);
  });
});
