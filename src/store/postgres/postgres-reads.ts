import type { FinishedFlowRunStatus } from "../../core/flow-run-state.ts";
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
  ScheduleDeployRow,
  ScheduleFilter,
  ScheduleRow,
  TickRow,
} from "../ports/rows.ts";
import type { FlowRunFilter, JobFilter, StoreQueries, TickFilter } from "../ports/store-queries.ts";
import { toFlowRow, toFlowRunRow } from "../shared/flow-rows.ts";
import { toMonitorRow, toTransitionRow } from "../shared/monitor-rows.ts";
import {
  type DbRow,
  toJobRow,
  toJobRunRow,
  toScheduleDeployRow,
  toScheduleRow,
  toTickRow,
} from "../shared/rows.ts";
import { scheduleFilterValues } from "../shared/schedule-filter.ts";
import { isBigintId, type PostgresDeps } from "./postgres-deps.ts";
import { PostgresHistoryReads } from "./postgres-history-reads.ts";
import { PENDING, SELECT_FLOW } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const NEXT_RUN_AT = `SELECT min(run_at) AS at FROM jobs WHERE state IN ${PENDING}`;

const NEXT_RUN_AT_IN_QUEUES = `${NEXT_RUN_AT} AND queue = ANY($1::text[])`;

/** For the query-plan test (test/unit/store/query-plans.test.ts). */
export const HOT_PATH_READ_SQL = { nextRunAt: NEXT_RUN_AT, nextRunAtInQueues: NEXT_RUN_AT_IN_QUEUES };

const SELECT_JOB = "SELECT * FROM jobs WHERE id = $1";

const LIST_JOB_RUNS = "SELECT * FROM job_runs WHERE job_id = $1 ORDER BY id";

/** `COLLATE "C"` everywhere text is sorted: byte order, as SQLite sorts, whatever the database locale. */
const COUNT_JOBS = `SELECT * FROM (
  SELECT queue,
    CASE WHEN state IN ${PENDING} AND run_at <= $1 THEN 'available' ELSE state END AS st,
    count(*) AS n,
    min(CASE WHEN state IN ${PENDING} AND run_at <= $1 THEN run_at END) AS oldest
  FROM jobs GROUP BY 1, 2
) AS counts
ORDER BY queue COLLATE "C", st COLLATE "C"`;

/** The job list behind the API: every filter optional, newest first. */
function listJobsQuery(filter: {
  states?: readonly string[];
  queue?: string;
  type?: string;
  limit?: number;
  beforeId?: string;
}): { text: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.states?.length) {
    values.push(filter.states);
    where.push(`state = ANY($${values.length}::text[])`);
  }
  if (filter.queue) {
    values.push(filter.queue);
    where.push(`queue = $${values.length}`);
  }
  if (filter.type) {
    values.push(filter.type);
    where.push(`type = $${values.length}`);
  }
  if (filter.beforeId) {
    values.push(filter.beforeId);
    where.push(`id < $${values.length}::bigint`);
  }
  values.push(filter.limit ?? 100);
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return { text: `SELECT * FROM jobs ${clause} ORDER BY id DESC LIMIT $${values.length}`, values };
}

const LOAD_JOB_STATE = "SELECT state FROM job_state WHERE state_key = $1";

const NEXT_SCHEDULE_FIRE_AT = "SELECT min(next_fire_at) AS at FROM schedules";
const DUE_BY = "SELECT count(*) AS n FROM schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1";

const SELECT_SCHEDULE = "SELECT * FROM schedules WHERE id = $1";

/** Each filter is skipped when its parameter is null; labels: the stored object contains the given one. */
const LIST_SCHEDULES = `SELECT * FROM schedules
WHERE ($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR owner = $2) AND ($3::text IS NULL OR tenant = $3)
  AND ($4::text IS NULL OR labels::jsonb @> $4::jsonb)
ORDER BY id COLLATE "C"`;
const LIST_DEPLOYS = "SELECT * FROM schedule_deploys ORDER BY version DESC";

const LIST_TICKS = `SELECT * FROM schedule_ticks WHERE schedule_id = $1 AND nominal_at >= $2
ORDER BY nominal_at DESC LIMIT $3`;

const RUNS_OF_JOBS = "SELECT * FROM job_runs WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, id";

/** One walk of the tick primary key per schedule, newest first, cut at $2 each. */
const LATEST_TICKS = `SELECT t.* FROM unnest($1::text[]) AS s(id)
CROSS JOIN LATERAL (
  SELECT * FROM schedule_ticks WHERE schedule_id = s.id ORDER BY nominal_at DESC LIMIT $2
) AS t`;

const SELECT_FLOW_RUN = "SELECT * FROM data_flow_runs WHERE id = $1";

const FINISHED_RUN_SUMMARIES = `SELECT status, duration_ms FROM data_flow_runs
WHERE flow = $1 AND status IN ('success', 'failed')
ORDER BY id DESC LIMIT $2`;

/** A monitor with its closed queues and its last transition, in one row. */
const SELECT_MONITORS = `SELECT m.*,
  (SELECT coalesce(array_agg(g.queue ORDER BY g.queue), '{}') FROM queue_gates AS g WHERE g.monitor = m.name)
    AS closed_queues,
  (SELECT row_to_json(t) FROM (
     SELECT * FROM monitor_transitions AS t WHERE t.monitor = m.name ORDER BY seq DESC, id DESC LIMIT 1) AS t)
    AS last_transition
FROM monitors AS m`;

const SELECT_TRANSITIONS =
  "SELECT * FROM monitor_transitions WHERE monitor = $1 ORDER BY seq DESC, id DESC LIMIT $2";

const SELECT_GATES = "SELECT * FROM queue_gates ORDER BY queue, monitor";

/** `store.queries` on PostgreSQL: every read, on the pool (retried once on a dropped connection). */
export class PostgresReads extends PostgresHistoryReads implements StoreQueries {
  constructor(private readonly deps: Pick<PostgresDeps, "read">) {
    super(deps);
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  async getJob(id: string): Promise<JobRow | null> {
    if (!isBigintId(id)) return null;
    const [row] = await this.deps.read(SELECT_JOB, [id]);
    return row ? toJobRow(row) : null;
  }

  async listJobRuns(jobId: string): Promise<JobRunRow[]> {
    if (!isBigintId(jobId)) return [];
    return (await this.deps.read(LIST_JOB_RUNS, [jobId])).map(toJobRunRow);
  }

  async listRunsOfJobs(jobIds: readonly string[]): Promise<Map<string, JobRunRow[]>> {
    const runs = new Map(jobIds.map((id) => [id, [] as JobRunRow[]]));
    const ids = [...runs.keys()].filter(isBigintId);
    if (ids.length === 0) return runs;
    for (const row of await this.deps.read(RUNS_OF_JOBS, [ids])) {
      const run = toJobRunRow(row);
      runs.get(run.jobId)?.push(run);
    }
    return runs;
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const { text, values } = listJobsQuery(filter);
    return (await this.deps.read(text, values)).map(toJobRow);
  }

  async countJobs(now: number): Promise<QueueCount[]> {
    return (await this.deps.read(COUNT_JOBS, [now])).map((r) => ({
      queue: r.queue as string,
      state: r.st as JobState,
      count: Number(r.n),
      oldestRunAt: r.oldest === null ? null : Number(r.oldest),
    }));
  }

  async nextRunAt(queues: readonly string[] | undefined): Promise<number | null> {
    if (queues?.length === 0) return null;
    const [row] = queues
      ? await this.deps.read(NEXT_RUN_AT_IN_QUEUES, [queues])
      : await this.deps.read(NEXT_RUN_AT);
    return numberOrNull(row?.at);
  }

  async loadJobState(stateKey: string): Promise<unknown> {
    const [row] = await this.deps.read(LOAD_JOB_STATE, [stateKey]);
    return row ? JSON.parse(row.state as string) : undefined;
  }

  // ── schedules ─────────────────────────────────────────────────────────────

  async getSchedule(id: string): Promise<ScheduleRow | null> {
    const [row] = await this.deps.read(SELECT_SCHEDULE, [id]);
    return row ? toScheduleRow(row) : null;
  }

  async listSchedules(filter: ScheduleFilter = {}): Promise<ScheduleRow[]> {
    return (await this.deps.read(LIST_SCHEDULES, scheduleFilterValues(filter))).map(toScheduleRow);
  }

  async listScheduleDeploys(): Promise<ScheduleDeployRow[]> {
    return (await this.deps.read(LIST_DEPLOYS)).map(toScheduleDeployRow);
  }

  async listTicks(scheduleId: string, options: TickFilter = {}): Promise<TickRow[]> {
    const rows = await this.deps.read(LIST_TICKS, [scheduleId, options.since ?? 0, options.limit ?? 100]);
    return rows.map(toTickRow);
  }

  async latestTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, TickRow[]>> {
    const ticks = new Map(scheduleIds.map((id) => [id, [] as TickRow[]]));
    if (ticks.size === 0) return ticks;
    for (const row of await this.deps.read(LATEST_TICKS, [[...ticks.keys()], limit])) {
      const tick = toTickRow(row);
      ticks.get(tick.scheduleId)?.push(tick);
    }
    return ticks;
  }

  async countSchedulesDueBy(at: number): Promise<number> {
    const [row] = await this.deps.read(DUE_BY, [at]);
    return Number(row?.n ?? 0);
  }

  async nextScheduleFireAt(): Promise<number | null> {
    const [row] = await this.deps.read(NEXT_SCHEDULE_FIRE_AT);
    return numberOrNull(row?.at);
  }

  // ── data flows ────────────────────────────────────────────────────────────

  async getFlow(name: string): Promise<FlowRow | null> {
    const [row] = await this.deps.read(`${SELECT_FLOW} WHERE f.name = $1`, [name]);
    return row ? toFlowRow(row) : null;
  }

  async listFlows(): Promise<FlowRow[]> {
    return (await this.deps.read(`${SELECT_FLOW} ORDER BY f.name`)).map(toFlowRow);
  }

  async getFlowRun(id: string): Promise<FlowRunRow | null> {
    if (!isBigintId(id)) return null;
    const [row] = await this.deps.read(SELECT_FLOW_RUN, [id]);
    return row ? toFlowRunRow(row) : null;
  }

  async listFlowRuns(filter: FlowRunFilter = {}): Promise<FlowRunRow[]> {
    const query = listFlowRunsQuery(filter);
    return query ? (await this.deps.read(query.text, query.values)).map(toFlowRunRow) : [];
  }

  async finishedFlowRunSummaries(
    flow: string,
    limit: number,
  ): Promise<{ status: FinishedFlowRunStatus; durationMs: number | null }[]> {
    return (await this.deps.read(FINISHED_RUN_SUMMARIES, [flow, limit])).map((r) => ({
      status: r.status as FinishedFlowRunStatus,
      durationMs: numberOrNull(r.duration_ms),
    }));
  }

  // ── liveness monitors ─────────────────────────────────────────────────────

  async getMonitor(name: string): Promise<MonitorRow | null> {
    const [row] = await this.deps.read(`${SELECT_MONITORS} WHERE m.name = $1`, [name]);
    return row ? monitorRow(row) : null;
  }

  async listMonitors(): Promise<MonitorRow[]> {
    return (await this.deps.read(`${SELECT_MONITORS} ORDER BY m.name`)).map(monitorRow);
  }

  async listTransitions(monitor: string, options: { limit?: number } = {}): Promise<MonitorTransitionRow[]> {
    return (await this.deps.read(SELECT_TRANSITIONS, [monitor, options.limit ?? 100])).map(toTransitionRow);
  }

  async listClosedGates(): Promise<QueueGateRow[]> {
    return (await this.deps.read(SELECT_GATES)).map((r) => ({
      queue: r.queue as string,
      monitor: r.monitor as string,
      closedAt: Number(r.closed_at),
    }));
  }
}

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const monitorRow = (r: DbRow): MonitorRow =>
  toMonitorRow(r, r.closed_queues as string[], (r.last_transition as DbRow | null) ?? null);

/** The flow-run list: every filter optional, newest first; null when an id filter can match nothing. */
function listFlowRunsQuery(filter: FlowRunFilter): { text: string; values: unknown[] } | null {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.flow !== undefined) where.push(`flow = ${param(filter.flow)}`);
  if (filter.status !== undefined) {
    const statuses = typeof filter.status === "string" ? [filter.status] : [...filter.status];
    where.push(`status = ANY(${param(statuses)}::text[])`);
  }
  if (filter.source !== undefined) where.push(`source = ${param(filter.source)}`);
  if (filter.jobId !== undefined) {
    if (!isBigintId(filter.jobId)) return null;
    where.push(`job_id = ${param(filter.jobId)}`);
  }
  if (filter.beforeId !== undefined) {
    if (!isBigintId(filter.beforeId)) return null;
    where.push(`id < ${param(filter.beforeId)}`);
  }
  if (filter.createdSince !== undefined) where.push(`created_at >= ${param(filter.createdSince)}`);
  if (filter.createdUntil !== undefined) where.push(`created_at <= ${param(filter.createdUntil)}`);
  const limit = param(filter.limit ?? 100);
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return { text: `SELECT * FROM data_flow_runs ${clause} ORDER BY id DESC LIMIT ${limit}`, values };
}
