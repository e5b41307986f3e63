import type { FinishedFlowRunStatus, FlowRunStatus, TriggerSource } from "../../core/flow-run-state.ts";
import type { JobState } from "../../core/job-state.ts";
import type {
  FlowRow,
  FlowRunRow,
  JobRow,
  JobRunRow,
  MonitorRow,
  MonitorTransitionRow,
  QueueCount,
  QueueGateRow,
  ScheduleRow,
  SessionRow,
  TickRow,
} from "./rows.ts";

/**
 * The store's one read door: every read of every aggregate, batch reads included, so that no
 * surface loops over rows calling the store once per row. HTTP, the dashboard and the CLI see
 * this and nothing else of the store (test/architecture.test.ts). Reads never write; reads that
 * compare times take `now` from the caller's clock.
 */
export interface StoreQueries {
  // ── jobs ──────────────────────────────────────────────────────────────────
  getJob(id: string): Promise<JobRow | null>;
  /** One job's attempts, oldest first. */
  listJobRuns(jobId: string): Promise<JobRunRow[]>;
  /** The attempts of many jobs in one read, each job's oldest first; a job without runs maps to []. */
  listRunsOfJobs(jobIds: readonly string[]): Promise<Map<string, JobRunRow[]>>;
  listJobs(filter: JobFilter): Promise<JobRow[]>;
  countJobs(now: number): Promise<QueueCount[]>;
  /** The earliest `runAt` of a pending job in `queues`, or null; arms the worker's timer. */
  nextRunAt(queues: readonly string[] | undefined): Promise<number | null>;
  /** The state saved by the last applied finish for `stateKey`, or undefined (spec §3). */
  loadJobState(stateKey: string): Promise<unknown>;

  // ── schedules ─────────────────────────────────────────────────────────────
  getSchedule(id: string): Promise<ScheduleRow | null>;
  listSchedules(): Promise<ScheduleRow[]>;
  /** Newest first. */
  listTicks(scheduleId: string, options?: TickFilter): Promise<TickRow[]>;
  /** The newest `limit` ticks of each schedule in one read; a schedule without ticks maps to []. */
  latestTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, TickRow[]>>;
  /** The earliest `nextFireAt` of any schedule, or null: arms the scheduler's timer. */
  nextScheduleFireAt(): Promise<number | null>;

  // ── data flows ────────────────────────────────────────────────────────────
  getFlow(name: string): Promise<FlowRow | null>;
  /** Every stored flow (removed ones too, marked), by name. */
  listFlows(): Promise<FlowRow[]>;
  getFlowRun(id: string): Promise<FlowRunRow | null>;
  /** Newest first. */
  listFlowRuns(filter?: FlowRunFilter): Promise<FlowRunRow[]>;
  /** Status and duration of the newest `limit` finished runs of `flow`, for statistics. */
  finishedFlowRunSummaries(
    flow: string,
    limit: number,
  ): Promise<{ status: FinishedFlowRunStatus; durationMs: number | null }[]>;

  // ── liveness monitors ─────────────────────────────────────────────────────
  getMonitor(name: string): Promise<MonitorRow | null>;
  listMonitors(): Promise<MonitorRow[]>;
  /** Newest first. */
  listTransitions(monitor: string, options?: { limit?: number }): Promise<MonitorTransitionRow[]>;
  /** Every closed gate: a queue with at least one row is not claimed from. */
  listClosedGates(): Promise<QueueGateRow[]>;

  /** Queues paused by hand (store.queues), by name. */
  listPausedQueues(): Promise<{ queue: string; pausedAt: number }[]>;

  // ── dashboard sessions ────────────────────────────────────────────────────
  /** The stored session with this key (the digest of its cookie), expired or not; null: none. */
  getSession(key: string): Promise<SessionRow | null>;
}

export interface JobFilter {
  states?: readonly JobState[];
  queue?: string;
  type?: string;
  limit?: number;
  /** Cursor: only jobs with a smaller id (lists are newest first). */
  beforeId?: string;
}

export interface TickFilter {
  /** Default 100. */
  limit?: number;
  /** Only ticks with `nominalAt >= since`. */
  since?: number;
}

export interface FlowRunFilter {
  flow?: string;
  status?: FlowRunStatus | readonly FlowRunStatus[];
  source?: TriggerSource;
  jobId?: string;
  /** Only runs with an id below this one (paging, newest first). */
  beforeId?: string;
  /** Only runs created at or after this time (epoch ms), filtered in the query. */
  createdSince?: number;
  /** Only runs created at or before this time (epoch ms), filtered in the query. */
  createdUntil?: number;
  /** Default 100. */
  limit?: number;
}
