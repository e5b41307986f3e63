import { v1 as uuidv1 } from "uuid";
import { parseBooleanFlag } from "../config/env.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import {
  classifyHeartbeat,
  HEARTBEAT_EVENT_DELAY_MS,
  type HeartbeatBeat,
  type HeartbeatHealth,
} from "../core/heartbeat-health.ts";
import { SYSTEM_QUEUE } from "../core/lanes.ts";
import { defineJob, type JobContext, type JobDefinition } from "../runtime/registry.ts";
import type { ScheduleDefinition } from "../runtime/schedules.ts";
import type { JobRow } from "../store/ports/rows.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";
import type { Tickflow } from "../tickflow.ts";

/**
 * The diagnostic heartbeat (spec §4, seeds 000/001): proves both scheduling paths work. Every
 * minute a cron schedule runs the timed job, which logs `Heartbeat (timed): UUID=<uuid>` and
 * enqueues the event job 10 s later with the UUID; the event job logs
 * `Heartbeat (event): UUID=<uuid>`. Both are ordinary job types — error path, log subscriber,
 * store — on the reserved lane's queue `tickflow.system` (spec §11): a feature built on the public
 * Tickflow API only.
 */

export { HEARTBEAT_EVENT_DELAY_MS } from "../core/heartbeat-health.ts";

/** Every minute. */
export const HEARTBEAT_CRON = "* * * * *";
/** The stored schedule's key (its id in the store). */
export const HEARTBEAT_SCHEDULE_KEY = "heartbeat";
export const HEARTBEAT_TIMED_JOB = "heartbeat.timed";
export const HEARTBEAT_EVENT_JOB = "heartbeat.event";

/** The event job's payload: the timed beat's UUID, and the timed job that enqueued it (pair health). */
export interface HeartbeatEventPayload {
  uuid: string;
  timedJobId?: string;
}

/**
 * Whether `ENABLE_HEARTBEAT` turns the heartbeat on: `1`, `true`, `yes`, `on` (any case, spaces
 * around ignored) do; unset, empty, `0`, `false` and anything else do not. The one place that
 * decides: the config loader calls it for `ResolvedConfig.heartbeat`, and no config key turns
 * the heartbeat on (a config file that tries is refused, naming the variable).
 */
export function isHeartbeatEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return parseBooleanFlag(env.ENABLE_HEARTBEAT);
}

export const heartbeatLine = (kind: "timed" | "event", uuid: string) => `Heartbeat (${kind}): UUID=${uuid}`;

export interface HeartbeatOptions {
  /** Define the heartbeat schedule. Default: isHeartbeatEnabled(process.env). */
  enabled?: boolean;
  /** For `status()`; default the system clock. */
  clock?: Clock;
}

export interface HeartbeatStatusOptions {
  /** Default: the clock's now, read after the store. */
  now?: number;
  /** Default DEFAULT_HEARTBEAT_GRACE_MS (5 s). */
  graceMs?: number;
  /**
   * When the judging process started (default: the Tickflow's start): lateness that this
   * process's own downtime caused is `interrupted`, not `late` (core/heartbeat-health).
   */
  processStartedAt?: number;
}

/** Pair health plus the stored schedule it was judged against (null: none stored, i.e. disabled). */
export interface HeartbeatStatus extends HeartbeatHealth {
  schedule: { id: string; paused: boolean; nextFireAt: number | null; createdAt: number } | null;
}

export interface Heartbeat {
  readonly enabled: boolean;
  readonly timedJob: JobDefinition<unknown>;
  readonly eventJob: JobDefinition<HeartbeatEventPayload>;
  /** Both definitions (already registered on the Tickflow). */
  readonly jobs: readonly JobDefinition<never, never>[];
  /** The schedule defined on the Tickflow; null when disabled. */
  readonly schedule: ScheduleDefinition | null;
  /** Enqueues the event job to run HEARTBEAT_EVENT_DELAY_MS from now with `{ uuid }`; returns its id. */
  scheduleEventHeartbeatJob(uuid: string, options?: { timedJobId?: string }): Promise<string>;
  /** Pair health, read from the store. */
  status(options?: HeartbeatStatusOptions): Promise<HeartbeatStatus>;
}

/**
 * Adds the heartbeat to a Tickflow (before `start()`): registers the two job types, and when
 * enabled defines the cron schedule `heartbeat`, stored by the reconciliation at start. When
 * disabled no schedule is defined, so that reconciliation removes one left by an earlier enabled
 * run (logged), and nothing enqueues a heartbeat job. The job types are registered either way, so
 * a heartbeat job left in the queue from before finishes normally instead of failing.
 */
export function registerHeartbeat(tickflow: Tickflow, options: HeartbeatOptions = {}): Heartbeat {
  const enabled = options.enabled ?? isHeartbeatEnabled(process.env);
  const clock: Clock = options.clock ?? { now: () => tickflow.now() };

  const scheduleEventHeartbeatJob = (uuid: string, extra: { timedJobId?: string } = {}) => {
    const payload: HeartbeatEventPayload =
      extra.timedJobId === undefined ? { uuid } : { uuid, timedJobId: extra.timedJobId };
    return tickflow.enqueue(eventJob, payload, { delay: HEARTBEAT_EVENT_DELAY_MS });
  };

  const timedJob = defineJob(
    HEARTBEAT_TIMED_JOB,
    async (_payload: unknown, ctx: JobContext) => {
      if (ctx.scheduledFor !== null && !(await scheduleStillStored(tickflow.queries, ctx.jobId))) {
        // Fired before the heartbeat was turned off and run after: it must not enqueue anything.
        ctx.logger.info(
          "heartbeat disabled (ENABLE_HEARTBEAT): its schedule is gone, so this leftover beat does nothing",
        );
        return;
      }
      const uuid = uuidv1();
      ctx.logger.info(heartbeatLine("timed", uuid));
      await scheduleEventHeartbeatJob(uuid, { timedJobId: ctx.jobId });
    },
    // The reserved lane (runtime/system-lane.ts): user jobs cannot take the slots that prove liveness.
    { maxAttempts: 1, queue: SYSTEM_QUEUE, lane: "system" },
  );

  const eventJob = defineJob<HeartbeatEventPayload>(
    HEARTBEAT_EVENT_JOB,
    async (payload, ctx) => {
      if (typeof payload?.uuid !== "string") {
        throw new TypeError(
          `${HEARTBEAT_EVENT_JOB} needs a payload { uuid: string }, got ${JSON.stringify(payload)}`,
        );
      }
      ctx.logger.info(heartbeatLine("event", payload.uuid));
    },
    { maxAttempts: 1, queue: SYSTEM_QUEUE, lane: "system" },
  );

  const jobs = [timedJob, eventJob] as unknown as JobDefinition<never, never>[];
  tickflow.register(...jobs);

  let schedule: ScheduleDefinition | null = null;
  if (enabled) {
    // `when: "heartbeat"` alert rules read the pair health from here.
    tickflow.alerts.watchHeartbeat(async () => {
      const h = await heartbeatStatus(tickflow, {}, clock);
      return { status: h.status, summary: `the diagnostic heartbeat is ${h.status}` };
    });
    schedule = tickflow.defineSchedule({
      key: HEARTBEAT_SCHEDULE_KEY,
      job: HEARTBEAT_TIMED_JOB,
      cron: HEARTBEAT_CRON,
      // A beat from the past proves nothing: missed minutes are skipped, not caught up.
      misfire: "skip",
      overlap: "allow",
    });
  } else {
    tickflow.on("schedule:sync", (report) => {
      if (report.removed.includes(HEARTBEAT_SCHEDULE_KEY)) {
        tickflow.logger.info(
          { schedule: HEARTBEAT_SCHEDULE_KEY },
          "heartbeat disabled (ENABLE_HEARTBEAT is off): removed its stored schedule",
        );
      }
    });
  }

  return {
    enabled,
    timedJob,
    eventJob,
    jobs,
    schedule,
    scheduleEventHeartbeatJob,
    status: (statusOptions = {}) =>
      heartbeatStatus(
        tickflow,
        { processStartedAt: tickflow.lifecycle.startedAt ?? undefined, ...statusOptions },
        clock,
      ),
  };
}

/** Whether the schedule that fired job `jobId` still exists (a job enqueued by hand: true). */
async function scheduleStillStored(queries: StoreQueries, jobId: string): Promise<boolean> {
  const job = await queries.getJob(jobId);
  if (job?.scheduleId == null) return true;
  return (await queries.getSchedule(job.scheduleId)) !== null;
}

/** How many recent beats are read: the newest and enough before it to judge a pending event. */
const RECENT_BEATS = 5;

/**
 * The heartbeat's pair health, from what the store recorded (works from any process on the same
 * database, whether or not it registered the heartbeat). Reads the stored `heartbeat` schedule,
 * the newest timed and event jobs (listJobs by type) and their runs (one listRunsOfJobs), pairs each
 * event with its beat by `payload.timedJobId`, and classifies (core/heartbeat-health).
 */
export async function heartbeatStatus(
  source: { readonly queries: StoreQueries },
  options: HeartbeatStatusOptions = {},
  clock: Clock = systemClock,
): Promise<HeartbeatStatus> {
  const { queries } = source;
  const schedule = await queries.getSchedule(HEARTBEAT_SCHEDULE_KEY);
  // Timed jobs before events: an event enqueued by a beat that has finished is then always seen.
  const timedJobs = await queries.listJobs({ type: HEARTBEAT_TIMED_JOB, limit: RECENT_BEATS });
  const eventJobs = await queries.listJobs({ type: HEARTBEAT_EVENT_JOB, limit: RECENT_BEATS * 2 });
  const events = new Map<string, { jobId: string; uuid: string; ranAt: number | null }>();
  for (const job of eventJobs) {
    const payload = job.payload as Partial<HeartbeatEventPayload> | null;
    if (typeof payload?.timedJobId !== "string" || typeof payload.uuid !== "string") continue;
    if (events.has(payload.timedJobId)) continue; // listJobs is newest first: keep the newest
    events.set(payload.timedJobId, { jobId: job.id, uuid: payload.uuid, ranAt: null });
  }
  const starts = await firstStarts(queries, [...timedJobs, ...eventJobs]);
  for (const job of eventJobs) {
    const entry = events.get((job.payload as Partial<HeartbeatEventPayload> | null)?.timedJobId ?? "");
    if (entry?.jobId === job.id) entry.ranAt = starts.get(job.id) ?? null;
  }
  const beats: HeartbeatBeat[] = timedJobs.map((job) => ({
    jobId: job.id,
    nominalAt: job.nominalAt ?? job.runAt,
    ranAt: starts.get(job.id) ?? null,
    event: events.get(job.id) ?? null,
  }));
  const health = classifyHeartbeat({
    beats,
    since: schedule?.createdAt ?? null,
    now: options.now ?? clock.now(),
    graceMs: options.graceMs,
    processStartedAt: options.processStartedAt,
  });
  return {
    ...health,
    schedule: schedule
      ? {
          id: schedule.id,
          paused: schedule.paused,
          nextFireAt: schedule.nextFireAt,
          createdAt: schedule.createdAt,
        }
      : null,
  };
}

/**
 * When each job's first attempt started, or null (a run row is written when an attempt ends):
 * one batch read of the runs of every job that has started.
 */
export async function firstStarts(
  queries: StoreQueries,
  jobs: readonly JobRow[],
): Promise<Map<string, number | null>> {
  const runs = await queries.listRunsOfJobs(jobs.filter((job) => job.attempt > 0).map((job) => job.id));
  return new Map(
    jobs.map((job) => {
      const started = runs.get(job.id) ?? [];
      return [job.id, started.length === 0 ? null : Math.min(...started.map((r) => r.startedAt))];
    }),
  );
}
