/**
 * History that survives pruning (spec §11), one port on both stores. Raw tick rows are folded
 * into hourly and daily rollups (core/rollup.ts) behind a watermark, in bounded batches; pruning
 * deletes only rows the watermark has passed, so no row goes before it is counted. Its reads
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
