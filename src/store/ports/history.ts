import type { Rollup, RollupCounts, RollupPeriod, RollupSubject } from "../../core/rollup.ts";
import type { TickRow } from "../store.ts";

/**
 * History that survives pruning (spec §11), one port on both stores. Raw tick rows are folded
 * into hourly and daily rollups (core/rollup.ts) behind a watermark, in bounded batches; pruning
 * deletes only rows the watermark has passed, so no row goes before it is counted.
 */
export interface HistoryStore {
  /**
   * Folds up to `batch` ticks with nominal time before `before` that no earlier fold counted, in
   * (nominal time, schedule) order, into the rollups, and moves the watermark past them — one
   * transaction, so a crash folds a batch either wholly or not at all. `more`: a full batch was
   * folded (call again).
   */
  foldTicks(request: FoldRequest): Promise<FoldReport>;
  /**
   * Deletes up to `batch` of the oldest ticks with nominal time before `before` that are folded
   * already (behind the watermark); returns how many.
   */
  pruneTicks(request: { before: number; batch: number }): Promise<number>;
  /** Rollups of `subject` (optionally only `names`) with bucket start in [from, to). */
  listRollups(query: RollupQuery): Promise<Rollup[]>;
  /**
   * The counts of the same rollups summed per name, in SQL: what the overview's rates need for
   * every schedule at once, without reading a year of rows into memory.
   */
  sumRollups(query: RollupQuery): Promise<Map<string, RollupCounts>>;
  /**
   * The newest `limit` ticks of each schedule, joined with their jobs, in one round trip: what
   * the overview draws for every schedule (newest first per schedule).
   */
  recentTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, FoldTickRow[]>>;
  /** A schedule's ticks older than `before` (nominal time), newest first: the cursor past any depth. */
  ticksBefore(scheduleId: string, before: number, limit: number): Promise<TickRow[]>;
  /** Where the tick fold stands: ticks before this nominal time are counted in the rollups. */
  ticksFoldedUntil(): Promise<number | null>;
}

export interface FoldRequest {
  before: number;
  batch: number;
  /** For the outcome of ticks whose job has not started (late once past the tolerance). */
  now: number;
}

export interface FoldReport {
  folded: number;
  more: boolean;
}

export interface RollupQuery {
  subject: RollupSubject;
  names?: readonly string[];
  period: RollupPeriod;
  from: number;
  to: number;
}

/** The row of a tick joined with its job, as both adapters read it for a fold. */
export interface FoldTickRow {
  schedule_id: string;
  nominal_at: number | string;
  decision: string;
  reason: string | null;
  decided_at: number | string;
  job_id: number | string | null;
  started_at: number | string | null;
  job_state: string | null;
  job_attempt: number | null;
  job_finished_at: number | string | null;
}
