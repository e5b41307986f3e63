import type { TickflowEvents } from "../events.ts";
import type { Store } from "../store/store.ts";
import type { HistoryKeeper } from "./history-keeper.ts";
import { runLoop } from "./loop.ts";
import { Waker } from "./waker.ts";

export interface MaintenanceOptions {
  store: Store;
  events: TickflowEvents;
  now(): number;
  /** How often expired leases are looked for. */
  rescueIntervalMs: number;
  /** Finished jobs and their runs older than this are deleted; null keeps everything. */
  retentionMs: number | null;
  /** Folds ticks into rollups and prunes them (runtime/history-keeper.ts); none: history untouched. */
  history?: HistoryKeeper;
}

/** Prune at most hourly: retention is measured in days, and the DELETE touches many rows. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Rescues jobs whose worker died (expired leases) and prunes old history. Idempotent, so every
 * process runs it and no leader is needed.
 */
export class Maintenance {
  private readonly waker = new Waker();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: MaintenanceOptions) {}

  start(): void {
    this.loop = this.run();
  }

  private run(): Promise<void> {
    return runLoop({
      tick: () => this.tick().then(() => this.options.rescueIntervalMs),
      waker: this.waker,
      stopping: () => this.stopping,
      onError: (error) => this.options.events.emit("worker:error", { error, where: "maintenance" }),
      errorDelayMs: this.options.rescueIntervalMs,
    });
  }

  async tick(): Promise<void> {
    const { store, events, retentionMs } = this.options;
    const now = this.options.now();
    const rescued = await store.jobs.rescueExpiredLeases(now);
    if (rescued > 0) events.emit("job:rescue", { count: rescued });
    // Ticks first: a tick's outcome is read from its job, so jobs are pruned only once the fold
    // has caught up — no tick is folded after its job is gone.
    let backlog = false;
    if (this.options.history) {
      const round = await this.options.history.round();
      backlog = round.more;
      if (round.more) this.waker.wake(); // a backlog: the next round follows at once
      if (round.folded > 0 || round.pruned > 0) events.emit("history:round", round);
    }
    // With a history keeper, finished jobs are pruned by it, in batches behind the folds.
    if (
      !this.options.history &&
      retentionMs !== null &&
      !backlog &&
      now - this.lastPruneAt >= PRUNE_INTERVAL_MS
    ) {
      this.lastPruneAt = now;
      await store.jobs.pruneFinishedJobs(now - retentionMs);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.loop;
  }
}
