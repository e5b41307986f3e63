import { DEFAULT_STARTUP_GRACE_MS } from "./core/readiness.ts";
import type { TickflowEvents } from "./events.ts";
import { countScheduleTicks, type TickCounter } from "./observability/tick-counter.ts";
import type { EventLoopStatus } from "./runtime/event-loop-watchdog.ts";
import { type RateSummary, type RateWindows, readRateSummaries, readRates } from "./runtime/rates-reader.ts";
import {
  describeTickRows,
  readScheduleReports,
  type ScheduleReport,
} from "./runtime/schedule-health-reader.ts";
import type { ScheduleFilter } from "./store/ports/rows.ts";
import type { StoreQueries } from "./store/ports/store-queries.ts";

export type { EventLoopStatus } from "./runtime/event-loop-watchdog.ts";
export type { RateSummary, RateWindows, SimpleRates } from "./runtime/rates-reader.ts";
export type { ScheduleReport } from "./runtime/schedule-health-reader.ts";

export interface LivenessDeps {
  queries: StoreQueries;
  events: TickflowEvents;
  now(): number;
  /** Consecutive failed runs that make a schedule `failing` (default 1). */
  failingAfter?: number;
  startupGraceMs?: number;
  /** The running engine's watchdog and pools (undefined before start). */
  eventLoop(): EventLoopStatus | null;
  runningJobTypes(): string[];
}

/** How long the overview's rates are reused (see scheduleRateSummaries). */
const RATES_CACHE_MS = 30_000;

/**
 * Proof of liveness as every surface reads it (spec §11): schedules with their recent ticks in
 * the one vocabulary and their health, rates from rollups, tick history past any depth, the event
 * loop's measures and the tick decisions counted since this instance was created. The dashboard,
 * API, CLI, `/health` and metrics all read here, so they agree.
 */
export class Liveness {
  /** Schedule ticks decided by this process since the Tickflow was created (for the metrics). */
  readonly tickCounts: TickCounter;
  private rateSummaries: { at: number; value: Promise<Map<string, RateSummary>> } | undefined;

  constructor(private readonly deps: LivenessDeps) {
    // From creation, not start: a restart's missed ticks are decided during start().
    this.tickCounts = countScheduleTicks(deps.events);
    // A fold here changed the rollups the rates are summed from.
    deps.events.on("history:round", (round) => {
      if (round.folded > 0) this.rateSummaries = undefined;
    });
  }

  /** Every stored schedule (or one) with its recent ticks and its health. */
  scheduleReports(
    options: { ticks?: number; scheduleId?: string; filter?: ScheduleFilter } = {},
  ): Promise<ScheduleReport[]> {
    const { queries, now, failingAfter } = this.deps;
    return readScheduleReports(queries, { ...options, now: now(), failingAfter });
  }

  /**
   * Success and on-time rates of every schedule with rollups, per window (the overview's). Kept
   * for RATES_CACHE_MS: windows of a day and more move by whole folds, which happen here (this
   * process's maintenance drops the copy) or in another process (seen within RATES_CACHE_MS);
   * the overview refreshing every few seconds then sums a 90-day window once, not every time.
   */
  scheduleRateSummaries(): Promise<Map<string, RateSummary>> {
    const now = this.deps.now();
    const kept = this.rateSummaries;
    if (kept && now >= kept.at && now - kept.at < RATES_CACHE_MS) return kept.value;
    const value = readRateSummaries(this.deps.queries, "schedule", now);
    this.rateSummaries = { at: now, value };
    value.catch(() => {
      if (this.rateSummaries?.value === value) this.rateSummaries = undefined;
    });
    return value;
  }

  /** 24 h / 7 d / 90 d success and on-time rates of schedules, from rollups. */
  scheduleRates(ids: readonly string[]): Promise<Map<string, RateWindows>> {
    return readRates(this.deps.queries, "schedule", ids, this.deps.now());
  }

  /**
   * A page of a schedule's ticks in the vocabulary, newest first: `before` (a nominal time,
   * exclusive) pages past any depth; `nextBefore` is the cursor of the next page.
   */
  async tickPage(
    scheduleId: string,
    options: { limit: number; before?: number; since?: number },
  ): Promise<{ ticks: ScheduleReport["ticks"]; nextBefore: number | null }> {
    const rows = await this.deps.queries.tickPage(scheduleId, { ...options, limit: options.limit + 1 });
    const page = describeTickRows(rows.slice(0, options.limit), this.deps.now());
    return { ticks: page, nextBefore: rows.length > options.limit ? (page.at(-1)?.nominalAt ?? null) : null };
  }

  /** The event-loop watchdog's measures; null when it is off or not started. */
  eventLoop(): EventLoopStatus | null {
    return this.deps.eventLoop();
  }

  /** Job types of the attempts this process runs now (one entry per attempt). */
  runningJobTypes(): string[] {
    return this.deps.runningJobTypes();
  }

  /** Readiness waits this long after start for the heartbeat (core/readiness.ts). */
  get startupGraceMs(): number {
    return this.deps.startupGraceMs ?? DEFAULT_STARTUP_GRACE_MS;
  }
}
