import type { Clock } from "../core/clock.ts";
import { type ClockSample, estimateOffset, followedNow, type OffsetEstimate } from "../core/clock-offset.ts";
import { clampTimerMs } from "../core/limits.ts";
import type { Store } from "../store/store.ts";

export interface DatabaseClockOptions {
  /** Reads the database's clock (epoch ms), e.g. `Store.databaseNow`. */
  read(): Promise<number>;
  /** Round trips per measurement; the shortest one counts (default 5). */
  samples?: number;
  /** How often the offset is measured again (default 60 s): clocks drift by ms per hour, not per second. */
  intervalMs?: number;
  /** A measurement failed (the database is unreachable); the last offset stays in use. */
  onError?(error: Error): void;
  /** The local clock (default Date.now); tests pass a fake. */
  localNow?(): number;
}

/** After a failed measurement the next try comes sooner than a full interval. */
const RETRY_MS = 5_000;

/**
 * A Clock that follows the database's: `now()` is the local clock plus an offset measured against
 * the database (best of a few round trips, half the round trip corrected; core/clock-offset), so
 * every process sharing the database decides due times, leases and schedule ticks on one time
 * source, whatever each machine's own clock says. `now()` itself never waits for the database and
 * never runs backwards. Until the first measurement succeeds the offset is 0 (the local clock).
 */
export class DatabaseClock implements Clock {
  /** A clock following `store`'s database clock, measured once (best effort); none where the store has no clock of its own. */
  static async following(store: Pick<Store, "databaseNow">): Promise<DatabaseClock | undefined> {
    if (!store.databaseNow) return undefined;
    const clock = new DatabaseClock({ read: () => store.databaseNow!() });
    await clock.sync();
    return clock;
  }

  private offset = 0;
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private measuring: Promise<OffsetEstimate | null> | undefined;
  private readonly localNow: () => number;
  /** The last successful measurement, or null before the first. */
  estimate: OffsetEstimate | null = null;
  /** A measurement failed; set by the composition root to route it to events. */
  onError: ((error: Error) => void) | undefined;

  constructor(private readonly options: DatabaseClockOptions) {
    this.localNow = options.localNow ?? Date.now;
    this.onError = options.onError;
  }

  now(): number {
    this.last = followedNow(this.localNow(), this.offset, this.last);
    return this.last;
  }

  /** database − local, in ms, as currently applied. */
  get offsetMs(): number {
    return this.offset;
  }

  /**
   * Measures the offset now and applies it; resolves to the estimate, or null when the database
   * could not be read (reported through onError, never thrown). Concurrent calls share one run.
   */
  sync(): Promise<OffsetEstimate | null> {
    this.measuring ??= this.measure().finally(() => {
      this.measuring = undefined;
    });
    return this.measuring;
  }

  private async measure(): Promise<OffsetEstimate | null> {
    const samples: ClockSample[] = [];
    try {
      for (let i = 0; i < (this.options.samples ?? 5); i++) {
        const sentAt = this.localNow();
        const serverAt = await this.options.read();
        samples.push({ sentAt, serverAt, receivedAt: this.localNow() });
      }
    } catch (error) {
      this.onError?.(error as Error);
      if (samples.length === 0) return null;
    }
    const estimate = estimateOffset(samples);
    if (estimate) {
      this.offset = estimate.offsetMs;
      this.estimate = estimate;
    }
    return estimate;
  }

  /** Re-measures every `intervalMs` until stop(); the timer does not keep the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.estimate ? (this.options.intervalMs ?? 60_000) : 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.sync().then((estimate) => {
        this.schedule(estimate ? (this.options.intervalMs ?? 60_000) : RETRY_MS);
      });
    }, clampTimerMs(delayMs));
    this.timer.unref();
  }
}
