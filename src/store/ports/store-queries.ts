import type { FinishedFlowRunStatus, FlowRunStatus, TriggerSource } from "../../core/flow-run-state.ts";
import type { LimitRule } from "../../core/job-limits.ts";
import type { JobState } from "../../core/job-state.ts";
import type { Rollup, RollupCounts, RollupPeriod, RollupSubject } from "../../core/rollup.ts";
import type { AlertQueries } from "./alerts.ts";
import type { CheckQueries } from "./checks.ts";
import type {
  FlowRow,
  FlowRunRow,
  FoldTickRow,
  JobRow,
  JobRunRow,
  LimitUsageRow,
  MonitorRow,
  MonitorTransitionRow,
  QueueCount,
  QueueGateRow,
  ScheduleDeployRow,
  ScheduleFilter,
  ScheduleRow,
  TickRow,
  TypePauseRow,
} from "./rows.ts";

/**
 * The store's one read door: every read of every aggregate, batch reads included, so that no
 * surface loops over rows calling the store once per row. HTTP, the dashboard and the CLI see
 * this and nothing else of the store (test/architecture.test.ts). Reads never write; reads that
 * compare times take `now` from the caller's clock.
 */
export interface StoreQueries extends AlertQueries, CheckQueries {
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
  /** By key; with a filter, only the schedules matching every given field. */
  listSchedules(filter?: ScheduleFilter): Promise<ScheduleRow[]>;
  /** The code versions seen (rolling deploys), newest first. */
  listScheduleDeploys(): Promise<ScheduleDeployRow[]>;
  /** Newest first. */
  listTicks(scheduleId: string, options?: TickFilter): Promise<TickRow[]>;
  /** The newest `limit` ticks of each schedule in one read; a schedule without ticks maps to []. */
  latestTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, TickRow[]>>;
  /** The earliest `nextFireAt` of any schedule, or null: arms the scheduler's timer. */
  nextScheduleFireAt(): Promise<number | null>;
  /** How many schedules are due by `at` (the scheduler sizes its lead by it; an index range count). */
  countSchedulesDueBy(at: number): Promise<number>;

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

  // ── limits ────────────────────────────────────────────────────────────────
  /** Job types disabled cluster-wide, by name. */
  listPausedTypes(): Promise<TypePauseRow[]>;
  /** Each rule's usage now: running (per key too), tokens left, due jobs waiting and why. */
  limitUsage(rules: readonly LimitRule[], now: number): Promise<LimitUsageRow[]>;
  // ── history (spec §11; folded and pruned by ports/history-store.ts) ────────
  /** Rollups of `subject` (optionally only `names`) with bucket start in [from, to). */
  listRollups(query: RollupQuery): Promise<Rollup[]>;
  /**
   * Counts of `subject`'s rollups of `period` summed per name and window, in SQL and in one scan:
   * window i covers bucket starts in [since[i], to). What the overview's rates need for every
   * schedule at once, without reading a year of rows into memory. Each name maps to one
   * RollupCounts per window (zeros where it has none).
   */
  sumRollups(query: RollupSumQuery): Promise<Map<string, RollupCounts[]>>;
  /**
   * The newest `limit` ticks of each schedule, joined with their jobs, in one round trip: what
   * the overview draws for every schedule (newest first per schedule).
   */
  recentTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, FoldTickRow[]>>;
  /**
   * A page of one schedule's ticks joined with their jobs, newest first: `before` (a nominal time,
   * exclusive) is the cursor past any depth, `since` (inclusive) the oldest wanted.
   */
  tickPage(scheduleId: string, page: TickPageQuery): Promise<FoldTickRow[]>;
  /** Where the tick fold stands: ticks before this nominal time are counted in the rollups. */
  ticksFoldedUntil(): Promise<number | null>;
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

export interface RollupQuery {
  subject: RollupSubject;
  names?: readonly string[];
  period: RollupPeriod;
  from: number;
  to: number;
}

export interface TickPageQuery {
  limit: number;
  before?: number;
  since?: number;
}

export interface RollupSumQuery {
  subject: RollupSubject;
  period: RollupPeriod;
  /** Window starts (inclusive), oldest or newest first; the scan starts at the smallest. */
  since: readonly number[];
  to: number;
}
