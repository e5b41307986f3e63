/**
 * The liveness state machine of a monitor (spec §5), as a pure function: no time, no I/O.
 *
 * - `UNKNOWN` at first: nothing has been proven either way yet.
 * - `ONLINE` after `riseAfter` consecutive successes.
 * - `OFFLINE` after `fallAfter` consecutive failures.
 * - A success resets the failure count and a failure resets the success count, so with
 *   thresholds ≥ 2 a single result never flips the state (hysteresis: no flapping on one blip).
 * - There is no way back to `UNKNOWN`.
 */
export const MONITOR_STATES = ["UNKNOWN", "ONLINE", "OFFLINE"] as const;
export type MonitorState = (typeof MONITOR_STATES)[number];

/** How many consecutive results it takes to change the state. Both are integers ≥ 1. */
export interface HysteresisThresholds {
  riseAfter: number;
  fallAfter: number;
}

/** The defaults of the seed (OPTERP-24/25): 2 successes → ONLINE, 3 failures → OFFLINE. */
export const DEFAULT_THRESHOLDS: HysteresisThresholds = { riseAfter: 2, fallAfter: 3 };

/** Consecutive results: at most one of them is non-zero. */
export interface HysteresisCounters {
  successes: number;
  failures: number;
}

export interface Hysteresis extends HysteresisCounters {
  state: MonitorState;
}

export interface MonitorTransition {
  from: MonitorState;
  to: MonitorState;
}

export interface HysteresisStep extends Hysteresis {
  /** Set only when this result changed the state. */
  transition: MonitorTransition | null;
}

export const INITIAL_HYSTERESIS: Hysteresis = { state: "UNKNOWN", successes: 0, failures: 0 };

/** Feeds one check result (`ok`) into the machine; returns the new state, counters and transition. */
export function step(previous: Hysteresis, ok: boolean, thresholds: HysteresisThresholds): HysteresisStep {
  const successes = ok ? previous.successes + 1 : 0;
  const failures = ok ? 0 : previous.failures + 1;
  let state = previous.state;
  if (ok && successes >= thresholds.riseAfter) state = "ONLINE";
  if (!ok && failures >= thresholds.fallAfter) state = "OFFLINE";
  const transition = state === previous.state ? null : { from: previous.state, to: state };
  return { state, successes, failures, transition };
}

/** Runs a whole sequence of results from `start`; returns the final step's state and every transition. */
export function replay(
  results: readonly boolean[],
  thresholds: HysteresisThresholds,
  start: Hysteresis = INITIAL_HYSTERESIS,
): { final: Hysteresis; transitions: (MonitorTransition & { at: number })[] } {
  let current: Hysteresis = start;
  const transitions: (MonitorTransition & { at: number })[] = [];
  results.forEach((ok, i) => {
    const next = step(current, ok, thresholds);
    if (next.transition) transitions.push({ ...next.transition, at: i + 1 });
    current = { state: next.state, successes: next.successes, failures: next.failures };
  });
  return { final: current, transitions };
}

/**
 * Whether a monitor in `state` holds its gated queues closed: always when OFFLINE, and while
 * UNKNOWN only when the monitor asks for it (`gateUnknown`), since UNKNOWN proves nothing.
 */
export function gateClosed(state: MonitorState, gateUnknown: boolean): boolean {
  return state === "OFFLINE" || (state === "UNKNOWN" && gateUnknown);
}

/** True for a value that is a monitor state (e.g. read back from storage). */
export function isMonitorState(value: unknown): value is MonitorState {
  return typeof value === "string" && (MONITOR_STATES as readonly string[]).includes(value);
}
