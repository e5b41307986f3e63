import { isActiveFlowRun } from "../core/flow-run-state.ts";
import { DEFAULT_HEARTBEAT_GRACE_MS, HEARTBEAT_EVENT_DELAY_MS } from "../core/heartbeat-health.ts";
import type { JobState } from "../core/job-state.ts";
import type { FlowStatus } from "../flows/flow-service.ts";
import { FLOW_RUN_JOB } from "../flows/sync-flows.ts";
import {
  firstStarts,
  HEARTBEAT_EVENT_JOB,
  HEARTBEAT_SCHEDULE_KEY,
  HEARTBEAT_TIMED_JOB,
} from "../jobs/heartbeat.ts";
import type { FlowRow, FlowRunRow, JobRow } from "../store/ports/rows.ts";
import type { Tickflow } from "../tickflow.ts";
import type { BeatMinute } from "./charts.ts";

/** What the pages read beyond single facade calls; every read here is bounded. */

const MINUTE = 60_000;
const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;

/** Delay from a timed beat to its event beyond which the event is late (D + G). */
export const EVENT_LIMIT_MS = HEARTBEAT_EVENT_DELAY_MS + DEFAULT_HEARTBEAT_GRACE_MS;

/**
 * The last hour of heartbeat minutes: the tick decided for each (fired/missed/skipped), the timed
 * beat's lateness and the delay to its event, judged with the same thresholds as the pair health
 * (core/heartbeat-health). Reads the ticks of the hour, the newest timed and event jobs and, in
 * one batch read, their runs (five small, index-backed queries).
 */
export async function heartbeatMinutes(tickflow: Tickflow, now: number): Promise<BeatMinute[]> {
  const { queries } = tickflow;
  const graceMs = DEFAULT_HEARTBEAT_GRACE_MS;
  const from = minuteOf(now) - 59 * MINUTE;
  const schedule = await queries.getSchedule(HEARTBEAT_SCHEDULE_KEY);
  const ticks = await tickflow.listTicks(HEARTBEAT_SCHEDULE_KEY, { since: from, limit: 120 });
  const tickByMinute = new Map(ticks.map((t) => [minuteOf(t.nominalAt), t]));
  const timedJobs = await queries.listJobs({ type: HEARTBEAT_TIMED_JOB, limit: 80 });
  const eventJobs = await queries.listJobs({ type: HEARTBEAT_EVENT_JOB, limit: 160 });
  const timedById = new Map(timedJobs.map((j) => [j.id, j]));
  const eventByTimed = new Map<string, JobRow>();
  for (const job of eventJobs) {
    const timedJobId = (job.payload as { timedJobId?: unknown } | null)?.timedJobId;
    if (typeof timedJobId === "string" && !eventByTimed.has(timedJobId)) eventByTimed.set(timedJobId, job);
  }
  // A fired tick whose job is not among the newest timed jobs (more than 80 beats this hour).
  const older = ticks.flatMap((t) => (t.jobId !== null && !timedById.has(t.jobId) ? [t.jobId] : []));
  for (const job of await Promise.all(older.map((id) => queries.getJob(id))))
    if (job) timedById.set(job.id, job);
  const starts = await firstStarts(queries, [...timedById.values(), ...eventJobs]);
  const minutes: BeatMinute[] = [];
  for (let minute = from; minute <= now; minute += MINUTE) {
    const tick = tickByMinute.get(minute);
    const entry: BeatMinute = {
      minute,
      decision: tick?.decision ?? null,
      timedLatenessMs: null,
      eventDelayMs: null,
      status: "none",
    };
    minutes.push(entry);
    if (!tick) {
      const expected = schedule !== null && !schedule.paused && minute >= schedule.createdAt;
      if (expected) entry.status = now - minute > MINUTE + graceMs ? "missing" : "pending";
      continue;
    }
    if (tick.decision !== "fired" || tick.jobId === null) {
      entry.status = "missing";
      continue;
    }
    const timedStart = tick.startedAt ?? starts.get(tick.jobId) ?? null;
    if (timedStart === null) {
      entry.status = now - minute > MINUTE + graceMs ? "missing" : "pending";
      continue;
    }
    entry.timedLatenessMs = timedStart - tick.nominalAt;
    const eventJob = eventByTimed.get(tick.jobId);
    const eventStart = eventJob ? (starts.get(eventJob.id) ?? null) : null;
    const late = entry.timedLatenessMs > graceMs;
    if (eventStart !== null) {
      entry.eventDelayMs = eventStart - timedStart;
      entry.status = late || entry.eventDelayMs > EVENT_LIMIT_MS ? "late" : "ok";
      continue;
    }
    const waited = now - timedStart;
    entry.status =
      waited <= EVENT_LIMIT_MS
        ? late
          ? "late"
          : "pending"
        : waited <= EVENT_LIMIT_MS + graceMs
          ? "late"
          : "missing";
  }
  return minutes;
}

export interface QueueSummary {
  queue: string;
  counts: Partial<Record<JobState, number>>;
  total: number;
  /** Age of the oldest due job waiting for a worker; null when none waits. */
  oldestWaitingMs: number | null;
}

export async function queueSummaries(tickflow: Tickflow, now: number): Promise<QueueSummary[]> {
  const queues = new Map<string, QueueSummary>();
  for (const c of await tickflow.queueCounts()) {
    const q = queues.get(c.queue) ?? { queue: c.queue, counts: {}, total: 0, oldestWaitingMs: null };
    q.counts[c.state] = (q.counts[c.state] ?? 0) + c.count;
    q.total += c.count;
    if (c.state === "available" && c.oldestRunAt !== null)
      q.oldestWaitingMs = Math.max(0, now - c.oldestRunAt);
    queues.set(c.queue, q);
  }
  return [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}

export interface RecentFailures {
  since: number;
  jobs: JobRow[];
  /** Discarded jobs finished since `since` (at least, when `jobsCapped`). */
  jobCount: number;
  jobsCapped: boolean;
  runs: FlowRunRow[];
  runCount: number;
  runsCapped: boolean;
}

/** Rows read at most, newest first, per kind: beyond that the count says "at least". */
const JOB_FAILURE_SCAN = 500;
const RUN_FAILURE_SCAN = 2_000;
const SHOWN = 10;

/**
 * Failures of the last 24 h: discarded jobs (attempts exhausted) and failed flow runs, newest
 * first. Both lists are read newest first by primary key and stop at the first row older than the
 * window or after a fixed number of rows: the cost follows the day's volume, not the table's.
 */
export async function recentFailures(tickflow: Tickflow, now: number): Promise<RecentFailures> {
  const since = now - 86_400_000;
  const answer: RecentFailures = {
    since,
    jobs: [],
    jobCount: 0,
    jobsCapped: false,
    runs: [],
    runCount: 0,
    runsCapped: false,
  };
  const jobs = await tickflow.queries.listJobs({ states: ["discarded"], limit: JOB_FAILURE_SCAN });
  for (const job of jobs) {
    if ((job.finishedAt ?? job.createdAt) < since) continue;
    // A discarded flow-run job is its flow run's failure, counted once: as the failed run below.
    if (job.type === FLOW_RUN_JOB) continue;
    answer.jobCount++;
    if (answer.jobs.length < SHOWN) answer.jobs.push(job);
  }
  const oldest = jobs.at(-1);
  answer.jobsCapped =
    jobs.length === JOB_FAILURE_SCAN &&
    oldest !== undefined &&
    (oldest.finishedAt ?? oldest.createdAt) >= since;
  let cursor: string | undefined;
  let scanned = 0;
  for (;;) {
    const page = await tickflow.flows.runs({ beforeId: cursor, limit: 500 });
    let older = false;
    for (const run of page) {
      if (run.createdAt < since) {
        older = true;
        break;
      }
      if (run.status !== "failed") continue;
      answer.runCount++;
      if (answer.runs.length < SHOWN) answer.runs.push(run);
    }
    scanned += page.length;
    if (older || page.length < 500) break;
    if (scanned >= RUN_FAILURE_SCAN) {
      answer.runsCapped = true;
      break;
    }
    cursor = page.at(-1)!.id;
  }
  return answer;
}

/**
 * A flow with its active run and statistics, read cheaply: at most one run is active per flow and
 * no run can be created while one is, so the active run, if any, is the flow's newest run — one
 * row from the (flow, id) index, where filtering by status would walk the whole flow's history.
 */
export async function flowStatus(tickflow: Tickflow, flow: FlowRow): Promise<FlowStatus> {
  const [[newest], stats] = await Promise.all([
    tickflow.flows.runs({ flow: flow.name, limit: 1 }),
    tickflow.flows.stats(flow.name),
  ]);
  return {
    ...flow,
    defined: tickflow.flows.definition(flow.name) !== undefined,
    activeRun: newest && isActiveFlowRun(newest.status) ? newest : null,
    stats,
  };
}

export async function listFlowStatuses(tickflow: Tickflow): Promise<FlowStatus[]> {
  return Promise.all((await tickflow.queries.listFlows()).map((flow) => flowStatus(tickflow, flow)));
}

export async function getFlowStatus(tickflow: Tickflow, name: string): Promise<FlowStatus | null> {
  const flow = await tickflow.queries.getFlow(name);
  return flow ? flowStatus(tickflow, flow) : null;
}
