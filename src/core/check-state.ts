import { nextFireAt, type Trigger } from "./triggers.ts";

/**
 * The state of a check-in (spec §12: passive monitoring of work tickflow does not run), as a pure
 * function of its last pings and `now`.
 *
 * - `new`   no ping has ever arrived.
 * - `up`    the last run succeeded and the next one is not due yet.
 * - `late`  the next success is overdue but still within `graceMs` (nobody is alerted yet).
 * - `down`  the last run failed (`/fail` or a non-zero exit code), or the next success is overdue
 *           by more than `graceMs`, or a run started (`/start`) and did not end within `graceMs`.
 *
 * When the next run is due: `every` — one period after the last success (the job's own rhythm,
 * not the epoch grid schedules use); `cron` — the first cron time after the last success.
 */
export const CHECK_STATES = ["new", "up", "late", "down"] as const;
export type CheckState = (typeof CHECK_STATES)[number];

/** What a check expects: a period (`every`) or a cron expression in a time zone. */
export type CheckTrigger = Extract<Trigger, { kind: "every" } | { kind: "cron" }>;

export const PING_KINDS = ["success", "start", "fail", "exit"] as const;
export type PingKind = (typeof PING_KINDS)[number];

export interface CheckPings {
  /** The last ping that ended a run: success, fail or an exit code. */
  lastEnd: { at: number; ok: boolean } | null;
  /** The last `/start` ping (a run began), if after `lastEnd`. */
  lastStartAt: number | null;
}

export interface CheckStateInput extends CheckPings {
  trigger: CheckTrigger;
  graceMs: number;
}

export interface CheckStatus {
  state: CheckState;
  /** When the next success is expected (null before any ping). */
  dueAt: number | null;
  /** When the check goes (or went) down if nothing arrives (null before any ping, or already down by a failure). */
  downAt: number | null;
}

/** The next success is due this long after the last one. */
export function nextDueAt(trigger: CheckTrigger, after: number): number | null {
  if (trigger.kind === "every") return after + trigger.intervalMs;
  return nextFireAt(trigger, after);
}

export function checkStatus(input: CheckStateInput, now: number): CheckStatus {
  const { lastEnd, lastStartAt, graceMs } = input;
  if (!lastEnd && lastStartAt === null) return { state: "new", dueAt: null, downAt: null };
  const running = lastStartAt !== null && (lastEnd === null || lastStartAt > lastEnd.at);
  if (running) {
    // Healthchecks' rule: a started run must end within the grace of its start.
    const downAt = lastStartAt + graceMs;
    return { state: now >= downAt ? "down" : "up", dueAt: lastStartAt, downAt };
  }
  if (!lastEnd?.ok) return { state: "down", dueAt: null, downAt: null };
  const dueAt = nextDueAt(input.trigger, lastEnd.at);
  if (dueAt === null) return { state: "up", dueAt: null, downAt: null };
  const downAt = dueAt + graceMs;
  const state: CheckState = now >= downAt ? "down" : now >= dueAt ? "late" : "up";
  return { state, dueAt, downAt };
}

/** A run's duration: from its `/start` ping to the success that ended it (null without a start). */
export function runTimeMs(lastStartAt: number | null, endedAt: number): number | null {
  return lastStartAt === null || lastStartAt > endedAt ? null : endedAt - lastStartAt;
}

/** The state a check shows for an exit code: 0 is a success, anything else a failure. */
export function exitCodeOk(code: number): boolean {
  return code === 0;
}
