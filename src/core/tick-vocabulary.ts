import type { JobState } from "./job-state.ts";
import { ON_TIME_TOLERANCE_MS, type TickDecision, type TickReason } from "./misfire.ts";

/**
 * The one vocabulary of proof of liveness (spec §11). Every surface — overview, schedule list and
 * page, CLI `schedules` and `status`, API, metrics — takes its words from here, so a tick that one
 * of them calls *missed* is *missed* in all of them.
 *
 * A tick has two fields, shown together: its **decision** (what the scheduler did when the tick
 * came due) and, once fired, its **outcome** (what the job it fired did).
 */
export const VOCABULARY = {
  fired: "the tick was due and a job was enqueued for it",
  missed:
    "a tick was due and no job ran for it, whatever the policy then did about it (coalesced into a later run, skipped by the misfire policy, expired, or lost to downtime)",
  skipped:
    "the user's own rule chose not to run it: the overlap rule (a previous run was unfinished) or a pause",
  late: "the job started more than the schedule's tolerance after the tick's nominal time",
  failed: "the job ran and did not succeed (its attempts are spent: discarded)",
  running: "the job is running now",
  succeeded: "the job ran and succeeded",
  retrying: "an attempt failed and the job waits to run again",
  cancelled: "the job was cancelled before it finished",
} as const;

export type VocabularyWord = keyof typeof VOCABULARY;

export const TICK_OUTCOMES = ["running", "succeeded", "retrying", "failed", "cancelled"] as const;
/** What the fired job did; null while it has not started (or the tick did not fire). */
export type TickOutcome = (typeof TICK_OUTCOMES)[number];

/**
 * The decision in the vocabulary, for a stored row. Rows written before the vocabulary recorded a
 * tick passed over by misfire policy `skip` as `skipped`/`misfire`; no job ran for it and no rule
 * of the user's chose that, so it is *missed*. Everything else keeps its stored decision.
 */
export function tickDecision(decision: TickDecision, reason: TickReason): TickDecision {
  if (decision === "skipped" && reason === "misfire") return "missed";
  return decision;
}

/**
 * The tick's outcome from its job's state. A job that is waiting after a failed attempt is
 * `retrying` (also once its retry is due: `available` with attempts made); a job waiting for its
 * first attempt has no outcome yet (null).
 */
export function outcomeOfJob(state: JobState, attempts: number): TickOutcome | null {
  switch (state) {
    case "running":
      return "running";
    case "succeeded":
      return "succeeded";
    case "retry_scheduled":
      return "retrying";
    case "discarded":
      return "failed";
    case "cancelled":
      return "cancelled";
    case "scheduled":
    case "available":
      return attempts > 0 ? "retrying" : null;
  }
}

/** A tick's row joined with its job, as the store gives it. */
export interface TickFacts {
  nominalAt: number;
  decision: TickDecision;
  reason: TickReason;
  decidedAt: number;
  jobId: string | null;
  /** The job's first attempt started. */
  startedAt: number | null;
  /** The job, when the tick fired one and it is still stored. */
  job: { state: JobState; attempts: number; finishedAt: number | null } | null;
}

/** One tick in the vocabulary: what every surface shows. */
export interface TickView {
  nominalAt: number;
  decision: TickDecision;
  /** The stored reason (misfire, coalesced, expired, overlap, paused) or null. */
  reason: TickReason;
  outcome: TickOutcome | null;
  /** startedAt − nominalAt; null while not started. */
  latenessMs: number | null;
  /** finishedAt − startedAt of a finished job; null otherwise. */
  durationMs: number | null;
  /** Fired and started (or still waiting) more than `toleranceMs` after nominal. */
  late: boolean;
  jobId: string | null;
  /** The one word for this tick's strip cell (see tickMark). */
  mark: TickMark;
  /** When the scheduler decided it. */
  decidedAt: number;
}

/** Colours of a strip cell, worst first: a failed late tick is shown failed. */
export const TICK_MARKS = [
  "failed",
  "missed",
  "late",
  "retrying",
  "running",
  "pending",
  "skipped",
  "succeeded",
] as const;
export type TickMark = (typeof TICK_MARKS)[number];

export interface DescribeTickOptions {
  /** Lateness allowed before a tick is late; default ON_TIME_TOLERANCE_MS (1 s). */
  toleranceMs?: number;
  now: number;
}

/** Puts a stored tick into the vocabulary. */
export function describeTick(facts: TickFacts, options: DescribeTickOptions): TickView {
  const toleranceMs = options.toleranceMs ?? ON_TIME_TOLERANCE_MS;
  const decision = tickDecision(facts.decision, facts.reason);
  const outcome =
    decision === "fired" && facts.job ? outcomeOfJob(facts.job.state, facts.job.attempts) : null;
  const latenessMs = facts.startedAt === null ? null : Math.max(0, facts.startedAt - facts.nominalAt);
  const finished = outcome === "succeeded" || outcome === "failed" || outcome === "cancelled";
  const durationMs =
    finished && facts.startedAt !== null && facts.job?.finishedAt != null
      ? Math.max(0, facts.job.finishedAt - facts.startedAt)
      : null;
  const waitedMs =
    latenessMs ?? (decision === "fired" && outcome === null ? options.now - facts.nominalAt : 0);
  const late = decision === "fired" && waitedMs > toleranceMs;
  // One object per tick (the overview describes thousands per request): no spreads.
  return {
    nominalAt: facts.nominalAt,
    decision,
    reason: facts.reason,
    outcome,
    latenessMs,
    durationMs,
    late,
    jobId: facts.jobId,
    mark: tickMark({ decision, outcome, late }),
    decidedAt: facts.decidedAt,
  };
}

/** The strip cell of a tick: its decision when it did not fire, else its outcome, late when on-time success is not proven. */
export function tickMark(view: Pick<TickView, "decision" | "outcome" | "late">): TickMark {
  if (view.decision === "missed") return "missed";
  if (view.decision === "skipped") return "skipped";
  switch (view.outcome) {
    case "failed":
      return "failed";
    case "retrying":
      return "retrying";
    case "cancelled":
      return "skipped";
    case "running":
      return view.late ? "late" : "running";
    case "succeeded":
      return view.late ? "late" : "succeeded";
    case null:
      return view.late ? "late" : "pending";
  }
}

export interface TickCounts {
  fired: number;
  missed: number;
  skipped: number;
  late: number;
  failed: number;
  succeeded: number;
}

/** Counts of a set of ticks in the vocabulary: what the schedule list and CLI print. */
export function countTicks(ticks: readonly Pick<TickView, "decision" | "outcome" | "late">[]): TickCounts {
  const counts: TickCounts = { fired: 0, missed: 0, skipped: 0, late: 0, failed: 0, succeeded: 0 };
  for (const t of ticks) {
    counts[t.decision]++;
    if (t.decision !== "fired") continue;
    if (t.late) counts.late++;
    if (t.outcome === "failed") counts.failed++;
    if (t.outcome === "succeeded") counts.succeeded++;
  }
  return counts;
}
