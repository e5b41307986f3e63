import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canTransitionFlowRun,
  FLOW_RUN_STATUSES,
  type FlowRunStatus,
  isActiveFlowRun,
  isTriggerSource,
  lastRunStatusFor,
  percentile,
  summarizeFlowRuns,
  willRetry,
} from "../../../src/core/flow-run-state.ts";

describe("flow run transitions", () => {
  const allowed = new Set([
    "pending→in_progress",
    "pending→failed",
    "in_progress→success",
    "in_progress→failed",
  ]);
  for (const from of FLOW_RUN_STATUSES) {
    for (const to of FLOW_RUN_STATUSES) {
      const key = `${from}→${to}`;
      it(`${key}: ${allowed.has(key) ? "allowed" : "refused"}`, () => {
        assert.equal(canTransitionFlowRun(from, to), allowed.has(key));
      });
    }
  }
});

describe("flow run status rules", () => {
  const cases: [FlowRunStatus, boolean, string][] = [
    ["pending", true, "in_progress"],
    ["in_progress", true, "in_progress"],
    ["success", false, "success"],
    ["failed", false, "failed"],
  ];
  for (const [status, active, last] of cases) {
    it(`${status}: ${active ? "active" : "finished"}, flow last_run_status ${last}`, () => {
      assert.equal(isActiveFlowRun(status), active);
      assert.equal(lastRunStatusFor(status), last);
    });
  }

  it("a failed attempt is retried while attempts remain (as core/backoff afterFailure decides)", () => {
    assert.equal(willRetry(1, 3), true);
    assert.equal(willRetry(2, 3), true);
    assert.equal(willRetry(3, 3), false);
    assert.equal(willRetry(1, 1), false, "retries: 0");
  });

  it("knows the trigger sources", () => {
    for (const s of ["schedule", "manual", "heartbeat", "api"]) assert.equal(isTriggerSource(s), true);
    for (const s of ["cron", "", null, undefined, 1]) assert.equal(isTriggerSource(s), false);
  });
});

describe("flow run statistics", () => {
  it("has no rates or percentiles without finished runs", () => {
    assert.deepEqual(summarizeFlowRuns([{ status: "pending", durationMs: null }]), {
      runs: 0,
      succeeded: 0,
      failed: 0,
      successRate: null,
      p50DurationMs: null,
      p95DurationMs: null,
    });
  });

  it("counts outcomes and takes nearest-rank percentiles of durations", () => {
    const runs: { status: FlowRunStatus; durationMs: number | null }[] = Array.from(
      { length: 20 },
      (_, i) => ({
        status: (i % 4 === 0 ? "failed" : "success") as FlowRunStatus,
        durationMs: (i + 1) * 10, // 10 … 200
      }),
    );
    runs.push({ status: "in_progress", durationMs: null });
    const stats = summarizeFlowRuns(runs);
    assert.equal(stats.runs, 20);
    assert.equal(stats.succeeded, 15);
    assert.equal(stats.failed, 5);
    assert.equal(stats.successRate, 0.75);
    assert.equal(stats.p50DurationMs, 100);
    assert.equal(stats.p95DurationMs, 190);
  });

  it("ignores missing durations (a run abandoned before it started) in the percentiles only", () => {
    const stats = summarizeFlowRuns([
      { status: "failed", durationMs: null },
      { status: "success", durationMs: 40 },
    ]);
    assert.equal(stats.runs, 2);
    assert.equal(stats.successRate, 0.5);
    assert.equal(stats.p50DurationMs, 40);
  });

  const table: [number[], number, number | null][] = [
    [[], 50, null],
    [[7], 50, 7],
    [[7], 95, 7],
    [[1, 2], 50, 1],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
  ];
  for (const [sorted, p, expected] of table) {
    it(`percentile(${JSON.stringify(sorted)}, ${p}) = ${expected}`, () => {
      assert.equal(percentile(sorted, p), expected);
    });
  }
});
