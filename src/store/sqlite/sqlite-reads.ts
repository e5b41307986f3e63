import { type FinishedFlowRunStatus, FLOW_RUN_STATUSES } from "../../core/flow-run-state.ts";
import type { LimitRule } from "../../core/job-limits.ts";
import type { JobState } from "../../core/job-state.ts";
import { emptyCounts, type Rollup, type RollupCounts } from "../../core/rollup.ts";
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
} from "../ports/rows.ts";
import type {
  FlowRunFilter,
  JobFilter,
  RollupQuery,
  RollupSumQuery,
  StoreQueries,
  TickFilter,
  TickPageQuery,
} from "../ports/store-queries.ts";
import { toFlowRow, toFlowRunRow } from "../shared/flow-rows.ts";
import {
  COUNT_COLUMNS,
  countsFromRow,
  ROLLUP_COLUMNS,
  type RollupRow,
  rollupFromRow,
} from "../shared/history-fold.ts";
import { toMonitorRow, toTransitionRow } from "../shared/monitor-rows.ts";
import { toJobRow, toJobRunRow, toScheduleDeployRow, toScheduleRow, toTickRow } from "../shared/rows.ts";
import { scheduleFilterValues } from "../shared/schedule-filter.ts";
import { SqliteAlertReads } from "./sqlite-alert-reads.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { limitUsage, listPausedTypes } from "./sqlite-limit-reads.ts";
import {
  HISTORY_WATERMARK,
  pendingState,
  SELECT_FLOW,
  SELECT_FLOW_RUN,
  SELECT_JOB,
  SELECT_SCHEDULE,
} from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const JOB_RUNS = "SELECT * FROM job_runs WHERE job_id = ? ORDER BY id";
const RUNS_OF_JOBS = (n: number) =>
  `SELECT * FROM job_runs WHERE job_id IN (${marks(n)}) ORDER BY job_id, id`;
const COUNT_JOBS = `SELECT queue, CASE WHEN ${pendingState()} AND run_at <= ? THEN 'available' ELSE state END AS st,
         count(*) AS n, min(CASE WHEN ${pendingState()} AND run_at <= ? THEN run_at END) AS oldest
       FROM jobs GROUP BY queue, st ORDER BY queue, st`;
/**
 * The earliest pending run_at: the first entry of jobs_pending_run_at (migration 8), one seek
 * however many jobs wait. Named: with a queue filter SQLite would rather walk jobs_claim, every
 * pending job of those queues. With queues, the walk passes the earlier jobs of other queues.
 */
const NEXT_RUN_AT = (queues: number | undefined) =>
  `SELECT min(run_at) AS at FROM jobs INDEXED BY jobs_pending_run_at
     WHERE ${pendingState()} ${queues === undefined ? "" : `AND queue IN (${marks(queues)})`}`;
/** For the query-plan test (test/unit/store/query-plans.test.ts). */
export const HOT_PATH_READ_SQL = { nextRunAt: NEXT_RUN_AT };
const JOB_STATE = "SELECT state FROM job_state WHERE state_key = ?";

/** Each filter is skipped when its parameter is null; labels: every pair of the JSON object must match. */
const LIST_SCHEDULES = `SELECT * FROM schedules
       WHERE (@source IS NULL OR source = @source) AND (@owner IS NULL OR owner = @owner)
         AND (@tenant IS NULL OR tenant = @tenant)
         AND (@labels IS NULL OR NOT EXISTS (
           SELECT 1 FROM json_each(@labels) f
           WHERE (SELECT l.value FROM json_each(schedules.labels) l WHERE l.key = f.key) IS NOT f.value))
       ORDER BY id`;
const LIST_DEPLOYS = "SELECT * FROM schedule_deploys ORDER BY version DESC";
const LIST_TICKS =
  "SELECT * FROM schedule_ticks WHERE schedule_id = ? AND nominal_at >= ? ORDER BY nominal_at DESC LIMIT ?";
const NEXT_FIRE_AT = "SELECT min(next_fire_at) AS at FROM schedules";
const DUE_BY = "SELECT count(*) AS n FROM schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= ?";

const FINISHED_RUN_SUMMARIES = `SELECT status, duration_ms FROM data_flow_runs
       WHERE flow = ? AND status IN ('success', 'failed')
       ORDER BY id DESC LIMIT ?`;

const SELECT_MONITOR = "SELECT * FROM monitors WHERE name = ?";
const LIST_MONITORS = "SELECT * FROM monitors ORDER BY name";
const LAST_TRANSITION =
  "SELECT * FROM monitor_transitions WHERE monitor = ? ORDER BY seq DESC, id DESC LIMIT 1";
const MONITOR_GATES = "SELECT queue FROM queue_gates WHERE monitor = ? ORDER BY queue";
const LIST_TRANSITIONS =
  "SELECT * FROM monitor_transitions WHERE monitor = ? ORDER BY seq DESC, id DESC LIMIT ?";
const LIST_GATES = "SELECT * FROM queue_gates ORDER BY queue, monitor";

const TICKS_WITH_JOBS = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE t.schedule_id = ? AND t.nominal_at >= ? AND t.nominal_at < ? ORDER BY t.nominal_at DESC LIMIT ?`;
const ROLLUPS_IN = (names: number | undefined) =>
  `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE subject = ? AND period = ? AND bucket_start >= ? AND bucket_start < ? ${names === undefined ? "" : `AND name IN (${marks(names)})`} ORDER BY name, bucket_start`;
/** One window's sums, walking the covering index (migration 13) with no row lookups. */
const SUM_ROLLUPS = `SELECT name, ${COUNT_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(", ")}
FROM rollups INDEXED BY rollups_window
WHERE subject = ? AND period = ? AND bucket_start >= ? AND bucket_start < ?
GROUP BY name`;

const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
/** Ids per `IN (…)` list: far below SQLite's 32 766 variable limit. */
const ID_CHUNK = 500;

/**
 * `store.queries` on SQLite: every read, on the adapter's connection. Reads run outside write
 * transactions (WAL gives each statement a consistent snapshot).
 */
export class SqliteReads extends SqliteAlertReads implements StoreQueries {
  constructor(private readonly deps: Pick<SqliteDeps, "stmt">) {
    super(deps);
  }

  private all(sql: string, ...params: unknown[]): Row[] {
    return this.deps.stmt(sql).all(...params) as Row[];
  }

  private get(sql: string, ...params: unknown[]): Row | undefined {
    return this.deps.stmt(sql).get(...params) as Row | undefined;
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  async getJob(id: string): Promise<JobRow | null> {
    const row = this.get(SELECT_JOB, id);
    return row ? toJobRow(row) : null;
  }

  async listJobRuns(jobId: string): Promise<JobRunRow[]> {
    return this.all(JOB_RUNS, jobId).map(toJobRunRow);
  }

  async listRunsOfJobs(jobIds: readonly string[]): Promise<Map<string, JobRunRow[]>> {
    const runs = new Map(jobIds.map((id) => [id, [] as JobRunRow[]]));
    const ids = [...runs.keys()];
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = ids.slice(i, i + ID_CHUNK);
      for (const row of this.all(RUNS_OF_JOBS(chunk.length), ...chunk)) {
        const run = toJobRunRow(row);
        runs.get(run.jobId)?.push(run);
      }
    }
    return runs;
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${marks(filter.states.length)})`);
      params.push(...filter.states);
    }
    if (filter.queue) {
      where.push("queue = ?");
      params.push(filter.queue);
    }
    if (filter.type) {
      where.push("type = ?");
      params.push(filter.type);
    }
    if (filter.beforeId) {
      where.push("id < ?");
      params.push(Number(filter.beforeId));
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 100).map(toJobRow);
  }

  async countJobs(now: number): Promise<QueueCount[]> {
    return this.all(COUNT_JOBS, now, now).map((r) => ({
      queue: r.queue as string,
      state: r.st as JobState,
      count: r.n as number,
      oldestRunAt: (r.oldest as number | null) ?? null,
    }));
  }

  async nextRunAt(queues: readonly string[] | undefined): Promise<number | null> {
    const row = this.get(NEXT_RUN_AT(queues?.length), ...(queues ?? [])) as { at: number | null };
    return row.at;
  }

  async loadJobState(stateKey: string): Promise<unknown> {
    const row = this.get(JOB_STATE, stateKey) as { state: string } | undefined;
    return row ? JSON.parse(row.state) : undefined;
  }

  // ── schedules ─────────────────────────────────────────────────────────────

  async getSchedule(id: string): Promise<ScheduleRow | null> {
    const row = this.get(SELECT_SCHEDULE, id);
    return row ? toScheduleRow(row) : null;
  }

  async listSchedules(filter: ScheduleFilter = {}): Promise<ScheduleRow[]> {
    const [source, owner, tenant, labels] = scheduleFilterValues(filter);
    return this.all(LIST_SCHEDULES, { source, owner, tenant, labels }).map(toScheduleRow);
  }

  async listScheduleDeploys(): Promise<ScheduleDeployRow[]> {
    return this.all(LIST_DEPLOYS).map(toScheduleDeployRow);
  }

  async listTicks(scheduleId: string, options: TickFilter = {}): Promise<TickRow[]> {
    return this.all(LIST_TICKS, scheduleId, options.since ?? 0, options.limit ?? 100).map(toTickRow);
  }

  /** One prepared statement per schedule, all in this call: each is an index range walk, in-process. */
  async latestTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, TickRow[]>> {
    const ticks = this.deps.stmt(LIST_TICKS);
    return new Map(
      [...new Set(scheduleIds)].map((id) => [id, (ticks.all(id, 0, limit) as Row[]).map(toTickRow)]),
    );
  }

  async countSchedulesDueBy(at: number): Promise<number> {
    return Number((this.get(DUE_BY, at) as { n: number }).n);
  }

  async nextScheduleFireAt(): Promise<number | null> {
    return (this.get(NEXT_FIRE_AT) as { at: number | null }).at;
  }

  // ── data flows ────────────────────────────────────────────────────────────

  async getFlow(name: string): Promise<FlowRow | null> {
    const row = this.get(`${SELECT_FLOW} WHERE f.name = ?`, name);
    return row ? toFlowRow(row) : null;
  }

  async listFlows(): Promise<FlowRow[]> {
    return this.all(`${SELECT_FLOW} ORDER BY f.name`).map(toFlowRow);
  }

  async getFlowRun(id: string): Promise<FlowRunRow | null> {
    const row = this.get(SELECT_FLOW_RUN, id);
    return row ? toFlowRunRow(row) : null;
  }

  async listFlowRuns(filter: FlowRunFilter = {}): Promise<FlowRunRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.flow !== undefined) {
      where.push("flow = ?");
      params.push(filter.flow);
    }
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === "string" ? [filter.status] : filter.status;
      // Literals, not parameters: SQLite uses the partial index on active runs only when it can see
      // the statuses in the query (a bound IN list walked a flow's whole history: ~250 ms at 1M runs).
      // Only known statuses are inlined, so nothing from the caller reaches the SQL text.
      const known = statuses.filter((st) => (FLOW_RUN_STATUSES as readonly string[]).includes(st));
      where.push(`status IN (${known.map((st) => `'${st}'`).join(", ") || "NULL"})`);
    }
    if (filter.source !== undefined) {
      where.push("source = ?");
      params.push(filter.source);
    }
    if (filter.jobId !== undefined) {
      where.push("job_id = ?");
      params.push(filter.jobId);
    }
    if (filter.beforeId !== undefined) {
      where.push("id < ?");
      params.push(filter.beforeId);
    }
    if (filter.createdSince !== undefined) {
      where.push("created_at >= ?");
      params.push(filter.createdSince);
    }
    if (filter.createdUntil !== undefined) {
      where.push("created_at <= ?");
      params.push(filter.createdUntil);
    }
    const sql = `SELECT * FROM data_flow_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    return this.all(sql, ...params, filter.limit ?? 100).map(toFlowRunRow);
  }

  async finishedFlowRunSummaries(
    flow: string,
    limit: number,
  ): Promise<{ status: FinishedFlowRunStatus; durationMs: number | null }[]> {
    return this.all(FINISHED_RUN_SUMMARIES, flow, limit).map((r) => ({
      status: r.status as FinishedFlowRunStatus,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    }));
  }

  // ── liveness monitors ─────────────────────────────────────────────────────

  async getMonitor(name: string): Promise<MonitorRow | null> {
    const row = this.get(SELECT_MONITOR, name);
    return row ? this.toMonitorRow(row) : null;
  }

  async listMonitors(): Promise<MonitorRow[]> {
    return this.all(LIST_MONITORS).map((r) => this.toMonitorRow(r));
  }

  async listTransitions(monitor: string, options: { limit?: number } = {}): Promise<MonitorTransitionRow[]> {
    return this.all(LIST_TRANSITIONS, monitor, options.limit ?? 100).map(toTransitionRow);
  }

  async listClosedGates(): Promise<QueueGateRow[]> {
    return this.all(LIST_GATES).map((r) => ({
      queue: r.queue as string,
      monitor: r.monitor as string,
      closedAt: r.closed_at as number,
    }));
  }

  // ── history ───────────────────────────────────────────────────────────────

  async listRollups(query: RollupQuery): Promise<Rollup[]> {
    if (query.names?.length === 0) return [];
    const { subject, period, from, to, names = [] } = query;
    const rows = this.all(ROLLUPS_IN(query.names?.length), subject, period, from, to, ...names);
    return (rows as unknown as RollupRow[]).map(rollupFromRow);
  }

  /** One plain query per window: summing 18 CASE columns in one scan costs SQLite's VM more. */
  async sumRollups(query: RollupSumQuery): Promise<Map<string, RollupCounts[]>> {
    const { subject, period, since, to } = query;
    const sums = new Map<string, RollupCounts[]>();
    since.forEach((from, w) => {
      for (const row of this.all(SUM_ROLLUPS, subject, period, from, to)) {
        const name = String(row.name);
        let counts = sums.get(name);
        if (!counts) sums.set(name, (counts = since.map(() => emptyCounts())));
        counts[w] = countsFromRow(row);
      }
    });
    return sums;
  }

  /** In-process: one prepared statement per schedule costs microseconds, no round trips. */
  async recentTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, FoldTickRow[]>> {
    const recent = this.deps.stmt(TICKS_WITH_JOBS);
    const all = Number.MAX_SAFE_INTEGER;
    return new Map(scheduleIds.map((id) => [id, recent.all(id, 0, all, limit) as FoldTickRow[]]));
  }

  async tickPage(scheduleId: string, page: TickPageQuery): Promise<FoldTickRow[]> {
    const { since = 0, before = Number.MAX_SAFE_INTEGER, limit } = page;
    return this.all(TICKS_WITH_JOBS, scheduleId, since, before, limit) as unknown as FoldTickRow[];
  }

  async ticksFoldedUntil(): Promise<number | null> {
    const mark = this.get(HISTORY_WATERMARK, "ticks") as { at: number } | undefined;
    return mark ? mark.at : null;
  }

  private toMonitorRow(r: Row): MonitorRow {
    const name = r.name as string;
    const closed = this.deps.stmt(MONITOR_GATES).pluck().all(name) as string[];
    return toMonitorRow(r, closed, this.get(LAST_TRANSITION, name) ?? null);
  }
  async listPausedTypes(): Promise<TypePauseRow[]> {
    return listPausedTypes(this.deps);
  }

  async limitUsage(rules: readonly LimitRule[], now: number): Promise<LimitUsageRow[]> {
    return limitUsage(this.deps, rules, now);
  }
}
