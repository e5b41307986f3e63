import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertTransition,
  canTransition,
  FINAL_STATES,
  isFinalState,
  JOB_STATES,
  type JobState,
  PENDING_STATES,
} from "../../../src/core/job-state.ts";
import { InvalidTransitionError } from "../../../src/errors.ts";

/** Every transition spec §1 allows, and why. */
const ALLOWED: [from: JobState, to: JobState, why: string][] = [
  ["scheduled", "available", "its runAt came"],
  ["scheduled", "running", "claimed directly once due"],
  ["scheduled", "cancelled", "cancelled while waiting"],
  ["available", "running", "claimed by a worker"],
  ["available", "cancelled", "cancelled while waiting"],
  ["retry_scheduled", "available", "its backoff elapsed"],
  ["retry_scheduled", "running", "claimed directly once due"],
  ["retry_scheduled", "cancelled", "cancelled while waiting to retry"],
  ["running", "succeeded", "the handler returned"],
  ["running", "retry_scheduled", "the attempt failed, attempts remain"],
  ["running", "discarded", "attempts exhausted"],
  ["running", "cancelled", "cancelled while running"],
  ["running", "available", "released at shutdown or rescued after lease expiry"],
  ["discarded", "available", "retried by hand"],
  ["cancelled", "available", "retried by hand"],
];

const FORBIDDEN: [from: JobState, to: JobState][] = [
  ["succeeded", "available"],
  ["succeeded", "running"],
  ["succeeded", "retry_scheduled"],
  ["succeeded", "cancelled"],
  ["succeeded", "discarded"],
  ["scheduled", "succeeded"],
  ["available", "succeeded"],
  ["available", "retry_scheduled"],
  ["available", "discarded"],
  ["available", "scheduled"],
  ["scheduled", "discarded"],
  ["retry_scheduled", "succeeded"],
  ["running", "scheduled"],
  ["discarded", "running"],
  ["discarded", "cancelled"],
  ["cancelled", "running"],
  ["cancelled", "succeeded"],
];

describe("canTransition", () => {
  for (const [from, to, why] of ALLOWED) {
    it(`allows ${from} → ${to} (${why})`, () => {
      assert.equal(canTransition(from, to), true);
      assert.doesNotThrow(() => assertTransition("job-1", from, to));
    });
  }

  for (const [from, to] of FORBIDDEN) {
    it(`forbids ${from} → ${to}`, () => {
      assert.equal(canTransition(from, to), false);
    });
  }

  it("forbids every pair not in the allowed list, including self-transitions", () => {
    const allowed = new Set(ALLOWED.map(([from, to]) => `${from}→${to}`));
    const unexpected: string[] = [];
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        if (canTransition(from, to) !== allowed.has(`${from}→${to}`)) unexpected.push(`${from}→${to}`);
      }
    }
    assert.deepEqual(unexpected, []);
  });
});

describe("assertTransition", () => {
  it("throws an InvalidTransitionError naming the job and both states", () => {
    assert.throws(
      () => assertTransition("job-42", "succeeded", "running"),
      (error: unknown) => {
        assert.ok(error instanceof InvalidTransitionError);
        assert.equal(error.code, "INVALID_TRANSITION");
        assert.equal(error.message, "job job-42 is succeeded and cannot become running");
        return true;
      },
    );
  });
});

describe("final states", () => {
  const expected: [state: JobState, final: boolean][] = [
    ["scheduled", false],
    ["available", false],
    ["running", false],
    ["retry_scheduled", false],
    ["succeeded", true],
    ["discarded", true],
    ["cancelled", true],
  ];
  for (const [state, final] of expected) {
    it(`${state} is ${final ? "" : "not "}final`, () => {
      assert.equal(isFinalState(state), final);
    });
  }

  it("lists the states exactly as spec §1 names them", () => {
    assert.deepEqual([...JOB_STATES].sort(), [
      "available",
      "cancelled",
      "discarded",
      "retry_scheduled",
      "running",
      "scheduled",
      "succeeded",
    ]);
    assert.deepEqual([...FINAL_STATES].sort(), ["cancelled", "discarded", "succeeded"]);
    assert.deepEqual([...PENDING_STATES].sort(), ["available", "retry_scheduled", "scheduled"]);
  });

  it("partitions the states: pending, running, final", () => {
    const all = [...PENDING_STATES, "running", ...FINAL_STATES].sort();
    assert.deepEqual(all, [...JOB_STATES].sort());
  });

  it("a succeeded job can go nowhere", () => {
    assert.deepEqual(
      JOB_STATES.filter((to) => canTransition("succeeded", to)),
      [],
    );
  });
});
