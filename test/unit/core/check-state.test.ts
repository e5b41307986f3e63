import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CheckStateInput, checkStatus, runTimeMs } from "../../../src/core/check-state.ts";

const MIN = 60_000;
const every: CheckStateInput = {
  trigger: { kind: "every", intervalMs: 5 * MIN },
  graceMs: MIN,
  lastEnd: null,
  lastStartAt: null,
};

describe("core/check-state", () => {
  it("is new before any ping", () => {
    assert.equal(checkStatus(every, 10 * MIN).state, "new");
  });

  it("up until one period after the success, late within the grace, down after", () => {
    const input = { ...every, lastEnd: { at: 0, ok: true } };
    assert.deepEqual(checkStatus(input, 5 * MIN - 1), { state: "up", dueAt: 5 * MIN, downAt: 6 * MIN });
    assert.equal(checkStatus(input, 5 * MIN).state, "late");
    assert.equal(checkStatus(input, 6 * MIN - 1).state, "late");
    assert.equal(checkStatus(input, 6 * MIN).state, "down");
  });

  it("a failure is down at once, whatever the time", () => {
    assert.equal(checkStatus({ ...every, lastEnd: { at: 0, ok: false } }, 1).state, "down");
  });

  it("a started run must end within the grace of its start", () => {
    const input = { ...every, lastEnd: { at: 0, ok: false }, lastStartAt: 10 };
    assert.equal(checkStatus(input, 10 + MIN - 1).state, "up");
    assert.equal(checkStatus(input, 10 + MIN).state, "down");
    // A start before the last end is an old run's.
    assert.equal(checkStatus({ ...input, lastStartAt: -5 }, 20).state, "down");
  });

  it("cron: due at the first cron time after the success, in its time zone", () => {
    const input: CheckStateInput = {
      trigger: { kind: "cron", expression: "0 3 * * *", timezone: "Europe/Berlin" },
      graceMs: 10 * MIN,
      lastEnd: { at: Date.UTC(2026, 0, 10, 2, 0, 30), ok: true },
      lastStartAt: null,
    };
    const due = Date.UTC(2026, 0, 11, 2, 0, 0); // 03:00 in Berlin (UTC+1 in January)
    assert.deepEqual(checkStatus(input, due - 1), { state: "up", dueAt: due, downAt: due + 10 * MIN });
    assert.equal(checkStatus(input, due + 10 * MIN).state, "down");
  });

  it("run time is from start to success", () => {
    assert.equal(runTimeMs(1_000, 4_500), 3_500);
    assert.equal(runTimeMs(null, 4_500), null);
    assert.equal(runTimeMs(5_000, 4_500), null);
  });
});
