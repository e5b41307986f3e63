import type { HistoryStore } from "../store/ports/history-store.ts";

/**
 * Keeps history bounded without losing it (spec §11): folds settled ticks into rollups, then
 * prunes ticks past retention — only ones already folded — in bounded batches, each its own short
 * transaction with the event loop free in between, so claims and ticks keep their time while a
 * million rows go. Idempotent (the watermark is in the store), so every process may run it.
 */
export interface HistoryKeeperOptions {
  history: HistoryStore;
  now(): number;
  /** Ticks are folded once this old: their job has settled by then (default 1 h). */
  foldLagMs: number;
  /** Ticks older than this are deleted once folded; null keeps them. */
  tickRetentionMs: number | null;
  /** Rows per transaction (default 1 000: ~50–150 ms of work on SQLite, where it runs on this thread). */
  batch?: number;
  /** Time one round may take before it yields to the next maintenance tick (default 500 ms). */
  budgetMs?: number;
}

export interface HistoryRound {
  folded: number;
  pruned: number;
  /** Work was left for the next round. */
  more: boolean;
}

export class HistoryKeeper {
  constructor(private readonly options: HistoryKeeperOptions) {}

  async round(): Promise<HistoryRound> {
    const { history, now, foldLagMs, tickRetentionMs } = this.options;
    const batch = this.options.batch ?? 1_000;
    const deadline = performance.now() + (this.options.budgetMs ?? 500);
    let folded = 0;
    let pruned = 0;
    for (;;) {
      const t = now();
      const report = await history.foldTicks({ before: t - foldLagMs, batch, now: t });
      folded += report.folded;
      if (!report.more) break;
      if (performance.now() > deadline) return { folded, pruned, more: true };
      await yieldToLoop();
    }
    if (tickRetentionMs === null) return { folded, pruned, more: false };
    for (;;) {
      const n = await history.pruneTicks({ before: now() - tickRetentionMs, batch });
      pruned += n;
      if (n < batch) return { folded, pruned, more: false };
      if (performance.now() > deadline) return { folded, pruned, more: true };
      await yieldToLoop();
    }
  }
}

/**
 * Between batches: a few milliseconds, not just setImmediate, so that a chain of steps (scheduler
 * decides → job inserted → worker claims → handler starts), each a turn of the loop, gets through.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
