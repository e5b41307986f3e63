import { type ScheduleHealth, scheduleHealth } from "../core/schedule-health.ts";
import { describeTick, type TickView } from "../core/tick-vocabulary.ts";
import type { FoldTickRow, ScheduleFilter, ScheduleRow } from "../store/ports/rows.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";
import { tickFactsOf } from "../store/shared/history-fold.ts";

/** A schedule with its recent ticks in the vocabulary and its health: what every surface shows. */
export interface ScheduleReport {
  schedule: ScheduleRow;
  /** Newest first. */
  ticks: (TickView & { decidedAt: number })[];
  health: ScheduleHealth;
}

export interface ScheduleReportOptions {
  now: number;
  /** Recent ticks read per schedule (default 30: the overview's strip). */
  ticks?: number;
  /** Consecutive failed outcomes that make a schedule `failing` (default 1). */
  failingAfter?: number;
  /** Only this schedule. */
  scheduleId?: string;
  /** Only the schedules matching this (source, owner, tenant, labels). */
  filter?: ScheduleFilter;
}

/**
 * Reads schedules, their recent ticks and the jobs those ticks fired, and puts them in the one
 * vocabulary (core/tick-vocabulary) with their health (core/schedule-health): two reads, whatever
 * the number of schedules.
 */
export async function readScheduleReports(
  queries: StoreQueries,
  options: ScheduleReportOptions,
): Promise<ScheduleReport[]> {
  const limit = options.ticks ?? 30;
  const schedules = options.scheduleId
    ? [await queries.getSchedule(options.scheduleId)].filter((s): s is ScheduleRow => s !== null)
    : await queries.listSchedules(options.filter);
  // One read for every schedule's recent ticks with their jobs (not one per schedule and job).
  const recent = await queries.recentTicks(
    schedules.map((s) => s.id),
    limit,
  );
  return schedules.map((schedule) => {
    const ticks = (recent.get(schedule.id) ?? []).map((row) => foldRowView(row, options.now));
    // A broken schedule (set aside, its definition unreadable) decides no tick: each one due is missed.
    const health: ScheduleHealth =
      schedule.broken !== null
        ? { status: "missed", reason: `the schedule is broken: ${schedule.broken}` }
        : scheduleHealth({
            ticks,
            paused: schedule.paused,
            nextFireAt: schedule.nextFireAt,
            now: options.now,
            failingAfter: options.failingAfter,
          });
    return { schedule, ticks, health };
  });
}

/** Tick rows joined with their jobs, in the vocabulary. */
export function describeTickRows(
  rows: readonly FoldTickRow[],
  now: number,
): (TickView & { decidedAt: number })[] {
  return rows.map((row) => foldRowView(row, now));
}

function foldRowView(row: FoldTickRow, now: number): TickView & { decidedAt: number } {
  return describeTick(tickFactsOf(row), { now });
}
