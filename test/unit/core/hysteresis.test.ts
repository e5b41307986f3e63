import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_THRESHOLDS,
  gateClosed,
  type Hysteresis,
  type HysteresisThresholds,
  INITIAL_HYSTERESIS,
  MONITOR_STATES,
  type MonitorState,
  replay,
  step,
} from "../../../src/core/hysteresis.ts";

const S = true;
const F = false;
const parse = (text: string) => text.split(",").map((c) => c.trim() === "S");

/**
 * An independent oracle, phrased as windows instead of counters: after result i the state is
 * decided by the latest index j ≤ i where the last `riseAfter` results are all successes (→ ONLINE)
 * or the last `fallAfter` results are all failures (→ OFFLINE); with neither, UNKNOWN.
 */
function oracle(results: readonly boolean[], t: HysteresisThresholds): MonitorState[] {
  const states: MonitorState[] = [];
  let state: MonitorState = "UNKNOWN";
  results.forEach((_, i) => {
    const window = (n: number, ok: boolean) =>
      i + 1 >= n && results.slice(i + 1 - n, i + 1).every((r) => r === ok);
    if (window(t.riseAfter, true)) state = "ONLINE";
    else if (window(t.fallAfter, false)) state = "OFFLINE";
    states.push(state);
  });
  return states;
}

function allSequences(length: number): boolean[][] {
  return Array.from({ length: 2 ** length }, (_, bits) =>
    Array.from({ length }, (_, i) => ((bits >> i) & 1) === 1),
  );
}

describe("hysteresis: the seed's sequence", () => {
  it("S,S,F,S,F,F,F,S,F,S,S from UNKNOWN with the defaults: ONLINE at 2, OFFLINE at 7, ONLINE at 11, nothing else", () => {
    const { transitions, final } = replay(parse("S,S,F,S,F,F,F,S,F,S,S"), DEFAULT_THRESHOLDS);
    assert.deepEqual(transitions, [
      { from: "UNKNOWN", to: "ONLINE", at: 2 },
      { from: "ONLINE", to: "OFFLINE", at: 7 },
      { from: "OFFLINE", to: "ONLINE", at: 11 },
    ]);
    assert.deepEqual(final, { state: "ONLINE", successes: 2, failures: 0 });
  });

  it("defaults are riseAfter 2, fallAfter 3, starting UNKNOWN with no counts", () => {
    assert.deepEqual(DEFAULT_THRESHOLDS, { riseAfter: 2, fallAfter: 3 });
    assert.deepEqual(INITIAL_HYSTERESIS, { state: "UNKNOWN", successes: 0, failures: 0 });
  });

  it("walks the sequence step by step with the expected counters", () => {
    const expected: [MonitorState, number, number][] = [
      ["UNKNOWN", 1, 0],
      ["ONLINE", 2, 0],
      ["ONLINE", 0, 1],
      ["ONLINE", 1, 0],
      ["ONLINE", 0, 1],
      ["ONLINE", 0, 2],
      ["OFFLINE", 0, 3],
      ["OFFLINE", 1, 0],
      ["OFFLINE", 0, 1],
      ["OFFLINE", 1, 0],
      ["ONLINE", 2, 0],
    ];
    let h: Hysteresis = INITIAL_HYSTERESIS;
    parse("S,S,F,S,F,F,F,S,F,S,S").forEach((ok, i) => {
      const next = step(h, ok, DEFAULT_THRESHOLDS);
      assert.deepEqual([next.state, next.successes, next.failures], expected[i], `result ${i + 1}`);
      h = next;
    });
  });
});

describe("hysteresis: exhaustive", () => {
  const thresholds: HysteresisThresholds[] = [];
  for (let riseAfter = 1; riseAfter <= 4; riseAfter++) {
    for (let fallAfter = 1; fallAfter <= 4; fallAfter++) thresholds.push({ riseAfter, fallAfter });
  }
  const sequences = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap(allSequences);

  it(`agrees with the window oracle on every sequence up to 10 results × thresholds 1-4 (${sequences.length * thresholds.length} runs)`, () => {
    for (const t of thresholds) {
      for (const seq of sequences) {
        const want = oracle(seq, t);
        let h: Hysteresis = INITIAL_HYSTERESIS;
        seq.forEach((ok, i) => {
          const next = step(h, ok, t);
          if (next.state !== want[i]) {
            assert.fail(
              `rise ${t.riseAfter} fall ${t.fallAfter}, ${seq.map((r) => (r ? "S" : "F"))} at ${i + 1}`,
            );
          }
          const previous = i === 0 ? "UNKNOWN" : want[i - 1];
          assert.deepEqual(
            next.transition,
            previous === next.state ? null : { from: previous, to: next.state },
          );
          h = next;
        });
      }
    }
  });

  it("a success resets the failure count and vice versa; the counts are the current run's length", () => {
    for (const t of thresholds) {
      for (const seq of sequences) {
        let h: Hysteresis = INITIAL_HYSTERESIS;
        seq.forEach((ok, i) => {
          h = step(h, ok, t);
          let run = 0;
          for (let j = i; j >= 0 && seq[j] === ok; j--) run++;
          assert.deepEqual([h.successes, h.failures], ok ? [run, 0] : [0, run]);
        });
      }
    }
  });

  it("with thresholds ≥ 2 a single result never flips the state: every transition follows a same result", () => {
    for (const t of thresholds.filter((x) => x.riseAfter >= 2 && x.fallAfter >= 2)) {
      for (const seq of sequences) {
        for (const tr of replay(seq, t).transitions) {
          assert.equal(seq[tr.at - 2], seq[tr.at - 1], `rise ${t.riseAfter} fall ${t.fallAfter} at ${tr.at}`);
        }
      }
    }
  });

  it("never returns to UNKNOWN, never transitions to the same state, and goes ONLINE only on a success", () => {
    for (const t of thresholds) {
      for (const seq of sequences) {
        for (const tr of replay(seq, t).transitions) {
          assert.notEqual(tr.to, "UNKNOWN");
          assert.notEqual(tr.from, tr.to);
          assert.equal(seq[tr.at - 1], tr.to === "ONLINE");
        }
      }
    }
  });

  it("from every state and counter pair, one step follows the rules", () => {
    for (const t of thresholds) {
      for (const state of MONITOR_STATES) {
        for (let successes = 0; successes <= 5; successes++) {
          for (const failures of successes === 0 ? [0, 1, 2, 3, 4, 5] : [0]) {
            for (const ok of [S, F]) {
              const next = step({ state, successes, failures }, ok, t);
              const count = ok ? successes + 1 : failures + 1;
              const reached = count >= (ok ? t.riseAfter : t.fallAfter);
              const to: MonitorState = reached ? (ok ? "ONLINE" : "OFFLINE") : state;
              assert.deepEqual(next, {
                state: to,
                successes: ok ? count : 0,
                failures: ok ? 0 : count,
                transition: to === state ? null : { from: state, to },
              });
            }
          }
        }
      }
    }
  });

  it("is pure: the same input gives the same output and the input is not changed", () => {
    const input = Object.freeze({ state: "ONLINE" as const, successes: 0, failures: 2 });
    assert.deepEqual(step(input, F, DEFAULT_THRESHOLDS), step(input, F, DEFAULT_THRESHOLDS));
    assert.deepEqual(input, { state: "ONLINE", successes: 0, failures: 2 });
  });
});

describe("queue gates", () => {
  it("are closed while OFFLINE, and while UNKNOWN only with gateUnknown", () => {
    assert.deepEqual(
      MONITOR_STATES.map((s) => [s, gateClosed(s, false), gateClosed(s, true)]),
      [
        ["UNKNOWN", false, true],
        ["ONLINE", false, false],
        ["OFFLINE", true, true],
      ],
    );
  });
});
