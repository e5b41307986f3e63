import type { HistoryStore } from "../store/ports/history-store.ts";

/**
 * Keeps history bounded without losing it (spec §11): folds settled ticks, job attempts, flow runs
 * and monitor transitions (uptime) into rollups, then prunes ticks, transitions and finished jobs
 * past retention — only rows already
 * folded — in bounded batches, each its own short transaction with the event loop free in
 * between, so claims and ticks keep their time while a million rows go. Idempotent (the
 * watermarks are in the store), so every process may run it.
 */
export interface HistoryKeeperOptions {
  history: HistoryStore;
  now(): number;
  /** Rows are folded once this old: a tick's job has settled by then (default 1 h). */
  foldLagMs: number;
  /** Ticks and monitor transitions older than this are deleted once folded; null keeps them. */
  tickRetentionMs: number | null;
  /** Finished jobs (and their runs) older than this are deleted once folded; null keeps them. */
  jobRetentionMs?: number | null;
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

/** One batched step: how many rows it handled, and whether a full batch says there is more. */
type Step = () => Promise<{ n: number; more: boolean }>;

export class HistoryKeeper {
  constructor(private readonly options: HistoryKeeperOptions) {}

  async round(): Promise<HistoryRound> {
    const { history, now, foldLagMs, tickRetentionMs } = this.options;
    const jobRetentionMs = this.options.jobRetentionMs ?? null;
    const batch = this.options.batch ?? 1_000;
    const deadline = performance.now() + (this.options.budgetMs ?? 500);
    const fold = (step: (before: number) => Promise<{ folded: number; more: boolean }>): Step => {
      return async () => {
        const report = await step(now() - foldLagMs);
        return { n: report.folded, more: report.more };
      };
    };
    const prune = (step: (before: number) => Promise<number>, retentionMs: number): Step => {
      return async () => {
        const n = await step(now() - retentionMs);
        return { n, more: n >= batch };
      };
    };
    // Folds before prunes: a tick's outcome is read from its job, and jobs go only behind the
    // tick and attempt folds (the store checks the watermarks too).
    const folds: Step[] = [
      fold((before) => history.foldTicks({ before, batch, now: now() })),
      fold((before) => history.foldJobRuns({ before, batch })),
      fold((before) => history.foldFlowRuns({ before, batch })),
      fold((before) => history.foldMonitors({ before, batch })),
    ];
    const prunes: Step[] = [];
    if (tickRetentionMs !== null)
      prunes.push(prune((before) => history.pruneTicks({ before, batch }), tickRetentionMs));
    if (jobRetentionMs !== null)
      prunes.push(prune((before) => history.pruneJobs({ before, batch }), jobRetentionMs));
    const totals = { folded: 0, pruned: 0 };
    for (const [steps, into] of [
      [folds, "folded"],
      [prunes, "pruned"],
    ] as const) {
      for (const step of steps) {
        for (;;) {
          const { n, more } = await step();
          totals[into] += n;
          if (!more) break;
          if (performance.now() > deadline) return { ...totals, more: true };
          await yieldToLoop();
        }
      }
    }
    return { ...totals, more: false };
  }
}

/**
 * Between batches: a few milliseconds, not just setImmediate, so that a chain of steps (scheduler
 * decides → job inserted → worker claims → handler starts), each a turn of the loop, gets through.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
