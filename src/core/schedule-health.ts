import { ON_TIME_TOLERANCE_MS } from "./misfire.ts";
import type { TickView } from "./tick-vocabulary.ts";

/**
 * Health of a schedule, flow or check-in (spec §11), computed from its recent ticks — the same
 * function for the dashboard, API, CLI, `/health` and metrics, so they cannot disagree.
 *
 * Judged in this order (the first that holds wins):
 * - `paused`    the schedule is paused (its ticks are skipped by the user's choice);
 * - `failing`   its last N settled outcomes all failed (N = `failingAfter`, default 1); a job
 *               that is retrying counts, its latest attempt failed;
 * - `missed`    the newest decision round (the ticks decided together with the newest one) has a
 *               missed tick, or the next tick is overdue by more than its tolerance + grace: no
 *               scheduler is deciding it (stopped, or the process is down);
 * - `late`      the newest fired tick started (or is still waiting) later than the tolerance;
 * - `never_ran` no tick has been decided yet;
 * - `ok`        otherwise.
 */
export const SCHEDULE_HEALTH = ["ok", "late", "failing", "missed", "paused", "never_ran"] as const;
export type ScheduleHealthStatus = (typeof SCHEDULE_HEALTH)[number];

/** Worst first, for sorting the overview: what needs attention comes on top. */
const SEVERITY: Record<ScheduleHealthStatus, number> = {
  failing: 0,
  missed: 1,
  late: 2,
  never_ran: 3,
  ok: 4,
  paused: 5,
};

export const DEFAULT_FAILING_AFTER = 1;
/** Time a scheduler may take to decide a due tick before it counts as overdue (its sleep is ≤ 1 s). */
export const DEFAULT_DECISION_GRACE_MS = 5_000;

export interface ScheduleHealthInput {
  /** Recent ticks in the vocabulary, any order. */
  ticks: readonly (TickView & { decidedAt?: number })[];
  paused: boolean;
  /** The stored next nominal fire time; null when the trigger is done. */
  nextFireAt: number | null;
  now: number;
  /** Consecutive failed outcomes that make the schedule `failing`; default 1. */
  failingAfter?: number;
  toleranceMs?: number;
  /** Beyond the tolerance, how long a due tick may wait for its decision; default 5 s. */
  decisionGraceMs?: number;
}

export interface ScheduleHealth {
  status: ScheduleHealthStatus;
  /** One sentence saying why. */
  reason: string;
}

export function compareHealth(a: ScheduleHealthStatus, b: ScheduleHealthStatus): number {
  return SEVERITY[a] - SEVERITY[b];
}

export function scheduleHealth(input: ScheduleHealthInput): ScheduleHealth {
  const failingAfter = input.failingAfter ?? DEFAULT_FAILING_AFTER;
  if (!Number.isInteger(failingAfter) || failingAfter < 1) {
    throw new RangeError(`failingAfter must be an integer ≥ 1, got ${failingAfter}`);
  }
  const toleranceMs = input.toleranceMs ?? ON_TIME_TOLERANCE_MS;
  const graceMs = input.decisionGraceMs ?? DEFAULT_DECISION_GRACE_MS;
  if (input.paused) return { status: "paused", reason: "the schedule is paused" };
  const ticks = [...input.ticks].sort((a, b) => b.nominalAt - a.nominalAt);

  // A retrying job's latest attempt failed: it counts, so a failing schedule shows within one tick.
  const settled = ticks.filter(
    (t) => t.outcome !== null && t.outcome !== "running" && t.outcome !== "cancelled",
  );
  const recent = settled.slice(0, failingAfter);
  if (
    recent.length === failingAfter &&
    recent.every((t) => t.outcome === "failed" || t.outcome === "retrying")
  ) {
    return {
      status: "failing",
      reason:
        failingAfter === 1
          ? `the ${iso(recent[0]!.nominalAt)} run failed`
          : `the last ${failingAfter} runs failed (newest ${iso(recent[0]!.nominalAt)})`,
    };
  }

  if (input.nextFireAt !== null && input.now - input.nextFireAt > toleranceMs + graceMs) {
    return {
      status: "missed",
      reason: `the ${iso(input.nextFireAt)} tick is overdue by ${Math.round((input.now - input.nextFireAt) / 1000)} s: no scheduler decided it`,
    };
  }
  const newest = ticks[0];
  if (!newest) return { status: "never_ran", reason: "no tick has come due yet" };
  const round =
    newest.decidedAt === undefined ? [newest] : ticks.filter((t) => t.decidedAt === newest.decidedAt);
  const missed = round.filter((t) => t.decision === "missed");
  if (missed.length > 0) {
    return {
      status: "missed",
      reason: `${missed.length} tick${missed.length === 1 ? "" : "s"} missed, newest ${iso(missed[0]!.nominalAt)}`,
    };
  }
  const fired = ticks.find((t) => t.decision === "fired");
  if (fired && isLate(fired, input.now, toleranceMs)) {
    return {
      status: "late",
      reason:
        fired.latenessMs === null
          ? `the ${iso(fired.nominalAt)} run has not started ${Math.round((input.now - fired.nominalAt) / 1000)} s after its time`
          : `the ${iso(fired.nominalAt)} run started ${fired.latenessMs} ms after its time (tolerance ${toleranceMs} ms)`,
    };
  }
  return {
    status: "ok",
    reason: fired ? `the ${iso(fired.nominalAt)} run was on time` : "ticks are decided on time",
  };
}

function isLate(t: TickView, now: number, toleranceMs: number): boolean {
  if (t.latenessMs !== null) return t.latenessMs > toleranceMs;
  // Not started: late only once it waited past the tolerance (a cancelled one never started).
  return t.outcome === null && now - t.nominalAt > toleranceMs;
}

const iso = (t: number) => new Date(t).toISOString();
