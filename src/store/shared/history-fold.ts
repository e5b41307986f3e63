import type { JobState } from "../../core/job-state.ts";
import type { TickDecision, TickReason } from "../../core/misfire.ts";
import {
  emptyMeasure,
  foldSamples,
  HISTOGRAM_BUCKETS,
  type Measure,
  mergeRollups,
  type Rollup,
  type RollupCounts,
  type RollupSample,
} from "../../core/rollup.ts";
import { describeTick, type TickFacts } from "../../core/tick-vocabulary.ts";
import type { FoldTickRow } from "../ports/rows.ts";

/**
 * What both adapters share for history: a tick row → a rollup sample in the one vocabulary, and
 * a stored rollup row ⇄ a Rollup. The SQL differs; the decisions here do not.
 */

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** A tick row joined with its job, as core/tick-vocabulary takes it. */
export function tickFactsOf(row: FoldTickRow): TickFacts {
  return {
    nominalAt: Number(row.nominal_at),
    decision: row.decision as TickDecision,
    reason: row.reason as TickReason,
    decidedAt: Number(row.decided_at),
    jobId: row.job_id === null ? null : String(row.job_id),
    startedAt: num(row.started_at),
    job:
      row.job_state === null
        ? null
        : {
            state: row.job_state as JobState,
            attempts: row.job_attempt ?? 0,
            finishedAt: num(row.job_finished_at),
          },
  };
}

export function tickSample(row: FoldTickRow, now: number): RollupSample {
  const view = describeTick(tickFactsOf(row), { now });
  const outcome =
    view.outcome === "succeeded" || view.outcome === "failed" || view.outcome === "cancelled"
      ? view.outcome
      : null;
  return {
    subject: "schedule",
    name: row.schedule_id,
    at: view.nominalAt,
    decision: view.decision,
    outcome,
    // Only a started tick is on time or late; one still waiting is neither (yet).
    ...(view.decision === "fired" && view.latenessMs !== null ? { late: view.late } : {}),
    latenessMs: view.latenessMs,
    durationMs: view.durationMs,
  };
}

/** A rollup row as both adapters store it. */
export interface RollupRow {
  subject: string;
  name: string;
  period: string;
  bucket_start: number | string;
  total: number | string;
  fired: number | string;
  missed: number | string;
  skipped: number | string;
  succeeded: number | string;
  failed: number | string;
  cancelled: number | string;
  on_time: number | string;
  late: number | string;
  latency: string;
  duration: string;
  up_ms: number | string;
  observed_ms: number | string;
}

export const ROLLUP_COLUMNS =
  "subject, name, period, bucket_start, total, fired, missed, skipped, succeeded, failed, cancelled, on_time, late, latency, duration, up_ms, observed_ms";

export function rollupFromRow(row: RollupRow): Rollup {
  return {
    subject: row.subject as Rollup["subject"],
    name: row.name,
    period: row.period as Rollup["period"],
    bucketStart: Number(row.bucket_start),
    counts: {
      total: Number(row.total),
      fired: Number(row.fired),
      missed: Number(row.missed),
      skipped: Number(row.skipped),
      succeeded: Number(row.succeeded),
      failed: Number(row.failed),
      cancelled: Number(row.cancelled),
      onTime: Number(row.on_time),
      late: Number(row.late),
    },
    latency: measureFrom(row.latency),
    duration: measureFrom(row.duration),
    upMs: Number(row.up_ms),
    observedMs: Number(row.observed_ms),
  };
}

function measureFrom(text: string): Measure {
  try {
    const m = JSON.parse(text) as Measure;
    if (Array.isArray(m.histogram) && m.histogram.length === HISTOGRAM_BUCKETS) return m;
  } catch {
    // an unreadable measure counts as empty rather than failing the fold
  }
  return emptyMeasure();
}

/** Values in ROLLUP_COLUMNS order. */
export function rollupValues(r: Rollup): unknown[] {
  const c = r.counts;
  return [
    r.subject,
    r.name,
    r.period,
    r.bucketStart,
    c.total,
    c.fired,
    c.missed,
    c.skipped,
    c.succeeded,
    c.failed,
    c.cancelled,
    c.onTime,
    c.late,
    JSON.stringify(r.latency),
    JSON.stringify(r.duration),
    r.upMs,
    r.observedMs,
  ];
}

/** The batch's rollups merged onto what is stored (`stored` keyed by rollupKey). */
export function foldOnto(
  samples: readonly RollupSample[],
  stored: (r: Rollup) => Rollup | undefined,
): Rollup[] {
  return foldSamples(samples).map((r) => {
    const existing = stored(r);
    return existing ? mergeRollups(existing, r) : r;
  });
}

/** The count columns, in RollupCounts order (what sumRollups sums per window). */
export const COUNT_COLUMNS = [
  "total",
  "fired",
  "missed",
  "skipped",
  "succeeded",
  "failed",
  "cancelled",
  "on_time",
  "late",
] as const;

/** The counts of a sumRollups row (one sum per count column, named as the column). */
export function countsFromRow(row: Record<string, unknown>): RollupCounts {
  const n = (k: string) => Number(row[k] ?? 0);
  return {
    total: n("total"),
    fired: n("fired"),
    missed: n("missed"),
    skipped: n("skipped"),
    succeeded: n("succeeded"),
    failed: n("failed"),
    cancelled: n("cancelled"),
    onTime: n("on_time"),
    late: n("late"),
  };
}
