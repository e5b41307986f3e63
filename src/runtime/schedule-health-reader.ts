import { type ScheduleHealth, scheduleHealth } from "../core/schedule-health.ts";
import { describeTick, type TickView } from "../core/tick-vocabulary.ts";
import { tickFactsOf } from "../store/history-fold.ts";
import type { FoldTickRow } from "../store/ports/history.ts";
import type { JobRow, ScheduleRow, Store, TickRow } from "../store/store.ts";

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
}

/**
 * Reads schedules, their recent ticks and the jobs those ticks fired, and puts them in the one
 * vocabulary (core/tick-vocabulary) with their health (core/schedule-health). The jobs are read
 * once each, in parallel.
 */
export async function readScheduleReports(
  store: Store,
  options: ScheduleReportOptions,
): Promise<ScheduleReport[]> {
  const limit = options.ticks ?? 30;
  const schedules = options.scheduleId
    ? [await store.getSchedule(options.scheduleId)].filter((s): s is ScheduleRow => s !== null)
    : await store.listSchedules();
  // One read for every schedule's recent ticks with their jobs (not one per schedule and job).
  const recent = await store.history.recentTicks(
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

async function jobsOf(store: Store, ticks: readonly TickRow[]): Promise<Map<string, JobRow>> {
  const jobIds = [...new Set(ticks.flatMap((t) => (t.jobId ? [t.jobId] : [])))];
  const jobs = new Map<string, JobRow>();
  await Promise.all(
    jobIds.map(async (id) => {
      const job = await store.getJob(id);
      if (job) jobs.set(id, job);
    }),
  );
  return jobs;
}

/** Tick rows in the vocabulary, with their jobs' outcomes. */
export async function describeTickRows(
  store: Store,
  ticks: readonly TickRow[],
  now: number,
): Promise<(TickView & { decidedAt: number })[]> {
  const jobs = await jobsOf(store, ticks);
  return ticks.map((t) => viewOf(t, jobs, now));
}

function foldRowView(row: FoldTickRow, now: number): TickView & { decidedAt: number } {
  return { ...describeTick(tickFactsOf(row), { now }), decidedAt: Number(row.decided_at) };
}

function viewOf(t: TickRow, jobs: Map<string, JobRow>, now: number): TickView & { decidedAt: number } {
  const job = t.jobId ? jobs.get(t.jobId) : undefined;
  const view = describeTick(
    {
      ...t,
      job: job ? { state: job.state, attempts: job.attempt, finishedAt: job.finishedAt } : null,
    },
    { now },
  );
  return { ...view, decidedAt: t.decidedAt };
}
