/**
 * History that survives pruning (spec §11), one port on both stores. Ticks, job attempts, flow
 * runs and monitor transitions are folded into hourly and daily rollups (core/rollup.ts) behind one watermark each, in
 * bounded batches; pruning deletes only rows the watermarks have passed, so no row goes before it
 * is counted. Its reads
 * (rollups, deep tick history) are on `store.queries` (store-queries.ts).
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
  /**
   * Folds up to `batch` job attempts (job_runs, in id order) that ended before `before` into the
   * rollups of their job's queue, and moves the watermark past them; one transaction.
   */
  foldJobRuns(request: { before: number; batch: number }): Promise<FoldReport>;
  /**
   * Folds up to `batch` flow runs that ended before `before`, in (ended_at, id) order, into the
   * rollups of their flow; one transaction.
   */
  foldFlowRuns(request: { before: number; batch: number }): Promise<FoldReport>;
  /**
   * Deletes up to `batch` of the oldest finished jobs (with their runs) that finished before
   * `before` and that the tick and job-run folds have both passed: a job's outcome and attempts
   * are counted before it goes. Returns how many jobs.
   */
  pruneJobs(request: { before: number; batch: number }): Promise<number>;
  /**
   * Folds up to `batch` monitor transitions before `before`, in (at, id) order, into uptime per
   * monitor (the time each state lasted, cut at hour boundaries); once caught up, every monitor's
   * current state is counted up to `before` too. Each monitor's counted-until time and state are
   * kept in the watermarks, so pruned transitions are not needed again.
   */
  foldMonitors(request: { before: number; batch: number }): Promise<FoldReport>;
  /**
   * Deletes up to `batch` of the oldest monitor transitions before `before` that the monitor fold
   * has passed, never a monitor's latest (its current state). Returns how many.
   */
  pruneTransitions(request: { before: number; batch: number }): Promise<number>;
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
