import { formatDuration } from "../core/duration.ts";
import { planTicks } from "../core/misfire.ts";
import type { TickflowEvents } from "../events.ts";
import type { Logger } from "../logger.ts";
import type { FiredTick } from "../store/ports/schedule-store.ts";
import type { Store } from "../store/store.ts";
import { runLoop } from "./loop.ts";
import { Waker } from "./waker.ts";

export interface SchedulerOptions {
  store: Store;
  events: TickflowEvents;
  logger: Logger;
  now(): number;
  /** Longest sleep between looks at the schedules table, so other processes' changes are seen. */
  maxSleepMs: number;
  /**
   * Decide a tick up to this long before its nominal time (default 0): the decision is taken as
   * of the nominal time and its job becomes claimable then, woken by a timer armed for it, so the
   * decision's own transaction (5–20 ms on PostgreSQL from idle, several round trips) is not added
   * to every tick's lateness. The one visible effect: an `overlap: "skip"` check sees the previous
   * run as it is up to this long before the tick.
   */
  leadMs?: number;
  /**
   * With a lead: how far ahead a large batch of ticks due at the same time may be decided. The
   * lead grows with how many schedules are due at the next fire time and what deciding one cost
   * in recent passes, so 10 000 schedules due at :00 are decided before :00 rather than over the
   * second after it (their jobs are claimable from the nominal time either way).
   */
  maxLeadMs?: number;
}

/** Schedules handled per transaction; a backlog larger than this is worked off in a loop. */
const BATCH = 100;

/**
 * Fires due schedules. Every process may run one: the tick key in the store makes each nominal
 * tick fire once, whoever gets there first. Sleeps until the earliest next fire (a timer armed for
 * the tick, not a polling loop), capped at maxSleepMs.
 */
export class Scheduler {
  private readonly waker = new Waker();
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** The earliest next fire seen by the last tick. */
  private nextFireAt: number | null = null;
  /** The lead for the next fire (leadMs, grown for a large due batch up to maxLeadMs). */
  private lead: number;
  /** What deciding one schedule cost lately (ms, moving average), for the lead of a large batch. */
  private msPerSchedule = 0.2;

  constructor(private readonly options: SchedulerOptions) {
    this.lead = options.leadMs ?? 0;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Makes the loop look again now (after a schedule changed in this process). */
  wake(): void {
    this.waker.wake();
  }

  private run(): Promise<void> {
    return runLoop({
      tick: () => this.tick(),
      waker: this.waker,
      stopping: () => this.stopping,
      onError: (error) => this.options.events.emit("worker:error", { error, where: "scheduler" }),
      errorDelayMs: this.options.maxSleepMs,
    });
  }

  /** Fires what is due now; returns the delay until the next look. */
  async tick(): Promise<number> {
    const { store, events, logger, maxSleepMs } = this.options;
    const lead = this.lead;
    const clockNow = this.options.now();
    // Woken within the lead of the next fire: decide it as of its nominal time (see leadMs).
    const next0 = this.nextFireAt;
    const now = next0 !== null && next0 > clockNow && next0 - clockNow <= lead ? next0 : clockNow;
    let uncounted = 0;
    const started = performance.now();
    const ticks = await store.schedules.fireDueSchedules({
      now,
      limit: BATCH,
      plan: (schedule, previousRunUnfinished) => {
        if (schedule.trigger === null) throw new Error(schedule.broken ?? "the stored trigger is unreadable");
        const plan = planTicks({
          trigger: schedule.trigger,
          nextFireAt: schedule.nextFireAt ?? now,
          now,
          misfire: schedule.misfire,
          graceMs: schedule.graceMs,
          overlap: schedule.overlap,
          paused: schedule.paused,
          previousRunUnfinished,
        });
        uncounted += plan.uncounted;
        return plan;
      },
      onBroken: (scheduleId, error) => events.emit("schedule:broken", { scheduleId, error, at: now }),
    });
    if (uncounted > 0)
      logger.warn({ uncounted }, "ticks older than the catch-up window were passed over without a row");
    for (const tick of ticks) events.emit("schedule:tick", { ...tick, decidedAt: now });
    warnPassedOver(ticks, now, logger);
    const schedulesTouched = new Set(ticks.map((t) => t.scheduleId)).size;
    if (schedulesTouched > 0) {
      const cost = (performance.now() - started) / schedulesTouched;
      this.msPerSchedule = 0.7 * this.msPerSchedule + 0.3 * cost;
    }
    if (schedulesTouched >= BATCH) return 0;
    const next = await store.queries.nextScheduleFireAt();
    this.nextFireAt = next;
    if (next === null) return maxSleepMs;
    await this.adaptLead(next);
    return Math.min(maxSleepMs, Math.max(0, next - this.lead - this.options.now()));
  }

  /** Grows the lead for a batch too large to decide within leadMs (twice its estimated cost). */
  private async adaptLead(next: number): Promise<void> {
    const base = this.options.leadMs ?? 0;
    const max = this.options.maxLeadMs ?? base;
    if (base === 0 || max <= base) return;
    const due = await this.options.store.queries.countSchedulesDueBy(next);
    this.lead = Math.min(max, Math.max(base, 2 * due * this.msPerSchedule));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.wake();
    await this.loop;
  }
}

/**
 * One WARN line per schedule for the ticks a decision round did not fire (after a downtime: 30
 * missed ticks are one line, not 30), with how many, why, and the span they cover. Each tick
 * still has its row and its `schedule:tick` event (logged at debug).
 */
export function warnPassedOver(ticks: readonly FiredTick[], now: number, logger: Logger): void {
  const bySchedule = new Map<string, FiredTick[]>();
  for (const tick of ticks) {
    if (tick.decision === "fired") continue;
    const list = bySchedule.get(tick.scheduleId) ?? [];
    list.push(tick);
    bySchedule.set(tick.scheduleId, list);
  }
  for (const [scheduleId, passed] of bySchedule) {
    const reasons: Record<string, number> = {};
    for (const tick of passed) {
      const key = `${tick.decision}${tick.reason ? ` (${tick.reason})` : ""}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    const first = Math.min(...passed.map((t) => t.nominalAt));
    const last = Math.max(...passed.map((t) => t.nominalAt));
    const fired = ticks.some((t) => t.scheduleId === scheduleId && t.decision === "fired");
    const why = Object.entries(reasons)
      .map(([reason, count]) => `${count} ${reason}`)
      .join(", ");
    const span =
      passed.length === 1
        ? `${new Date(first).toISOString()}, ${formatDuration(now - first)} late`
        : `${new Date(first).toISOString()} to ${new Date(last).toISOString()}`;
    logger.warn(
      {
        schedule: scheduleId,
        ticks: passed.length,
        reasons,
        from: new Date(first).toISOString(),
        to: new Date(last).toISOString(),
      },
      `schedule ${scheduleId}: ${passed.length} tick(s) not run: ${why}; ${span}${fired ? "; the latest one fired" : ""}`,
    );
  }
}
