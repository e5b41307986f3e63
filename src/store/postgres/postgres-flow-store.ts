import type pg from "pg";
import { lastRunStatusFor } from "../../core/flow-run-state.ts";
import { NotFoundError } from "../../errors.ts";
import { toFlowRow, toFlowRunRow } from "../flow-rows.ts";
import {
  ABANDONED_RUN_MESSAGE,
  type ClaimRunRequest,
  type ClaimRunResult,
  type FinishRunRequest,
  type FinishRunResult,
  type FlowDefinitionRow,
  type FlowRow,
  type FlowRunFilter,
  type FlowRunRow,
  type FlowStore,
  type FlowSyncReport,
  INTERRUPTED_RUN_MESSAGE,
  type TriggerRunRequest,
  type TriggerRunResult,
} from "../flow-store.ts";
import { flowNeedsUpdate } from "../flow-sync.ts";
import type { DbRow } from "../rows.ts";
import type { InsertResult, JobInsert } from "../store.ts";
import { UNFINISHED } from "./postgres-queries.ts";

/** What the PostgreSQL adapter lends its flow store. */
export interface PostgresFlowStoreDeps {
  /** BEGIN … COMMIT on one pooled connection (the adapter's, with its connection-loss handling). */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** A read on the pool. */
  read(text: string, values?: unknown[]): Promise<DbRow[]>;
  /** The adapter's transactional enqueue: the job commits with the run, and NOTIFY fires on commit. */
  insertJobs(jobs: readonly JobInsert[], now: number, client: pg.PoolClient): Promise<InsertResult[]>;
}

const ACTIVE = "('pending', 'in_progress')";
const SELECT_FLOW = `SELECT f.*, s.next_fire_at AS schedule_next_fire_at, s.paused AS schedule_paused
  FROM data_flows AS f LEFT JOIN schedules AS s ON s.id = f.schedule_id`;
const STALE_RUNS = `SELECT r.* FROM data_flow_runs AS r WHERE r.status IN ${ACTIVE}
  AND NOT EXISTS (SELECT 1 FROM jobs AS j WHERE j.id = r.job_id AND j.state IN ${UNFINISHED})`;
/**
 * Every write that touches a flow's runs first locks its data_flows row: writers of one flow then
 * queue in one order (no deadlocks), and the active-run checks below see each other's commits.
 * The partial unique index stays the guarantee; the lock only makes the answers exact.
 */
const LOCK_FLOW = "SELECT enabled, removed_at FROM data_flows WHERE name = $1 FOR UPDATE";
const LOCK_FLOW_OF_RUN = `SELECT f.name FROM data_flows AS f JOIN data_flow_runs AS r ON r.flow = f.name
  WHERE r.id = $1 FOR UPDATE OF f`;
const INSERT_PENDING_RUN = `INSERT INTO data_flow_runs (flow, status, source, attempt, job_id, created_at)
  VALUES ($1, 'pending', $2, $3, $4, $5)
  ON CONFLICT (flow) WHERE status IN ${ACTIVE} DO NOTHING RETURNING *`;
const CLOSE_RUN = `UPDATE data_flow_runs SET status = 'failed', ended_at = $2,
    duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE $2 - started_at END, error_message = $3
  WHERE id = $1 AND status IN ${ACTIVE} RETURNING *`;
const SET_LAST_RUN_STATUS = "UPDATE data_flows SET last_run_status = $2, updated_at = $3 WHERE name = $1";
const MARK_TRIGGERED = `UPDATE data_flows SET last_run_at = $2, last_run_status = 'in_progress', updated_at = $2,
    next_run_at = coalesce((SELECT next_fire_at FROM schedules WHERE id = data_flows.schedule_id), next_run_at)
  WHERE name = $1`;

/** `data_flows` and `data_flow_runs` on the adapter's pool. */
const PERIOD_TAKEN = "SELECT 1 FROM schedule_ticks WHERE schedule_id = $1 AND nominal_at = $2";
const CLAIM_PERIOD = `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id)
  VALUES ($1, $2, 'fired', 'heartbeat', $3, $4) ON CONFLICT (schedule_id, nominal_at) DO NOTHING`;

/** Thrown inside the trigger transaction to roll it back when the scheduler took the period. */
class PeriodTaken extends Error {}

export class PostgresFlowStore implements FlowStore {
  constructor(private readonly deps: PostgresFlowStoreDeps) {}

  async syncFlows(defs: readonly FlowDefinitionRow[], now: number): Promise<FlowSyncReport> {
    return this.deps.transaction(async (c) => {
      // Two processes starting together: one sync at a time, so each flow is created once.
      await c.query("SELECT pg_advisory_xact_lock(7412003, hashtext(current_schema()))");
      const report: FlowSyncReport = { created: [], updated: [], removed: [], restored: [] };
      const existing = new Map(
        (await c.query("SELECT * FROM data_flows")).rows.map((r) => [r.name as string, toFlowRow(r)]),
      );
      for (const def of defs) {
        const before = existing.get(def.name);
        existing.delete(def.name);
        const schedule = def.schedule === null ? null : JSON.stringify(def.schedule);
        const values = [
          def.name,
          schedule,
          def.scheduleId,
          def.queue,
          def.retries,
          def.timeoutMs,
          def.backoff,
          def.nextRunAt,
          now,
        ];
        if (!before) {
          await c.query(
            `INSERT INTO data_flows (name, schedule, schedule_id, queue, retries, timeout_ms, backoff, next_run_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
            values,
          );
          report.created.push(def.name);
          continue;
        }
        if (!flowNeedsUpdate(before, def)) continue;
        await c.query(
          `UPDATE data_flows SET schedule = $2, schedule_id = $3, queue = $4, retries = $5, timeout_ms = $6,
             backoff = $7, next_run_at = $8, removed_at = NULL, updated_at = $9 WHERE name = $1`,
          values,
        );
        if (before.removedAt !== null) report.restored.push(def.name);
        else report.updated.push(def.name);
      }
      for (const flow of existing.values()) {
        if (flow.removedAt !== null) continue;
        await c.query(
          "UPDATE data_flows SET removed_at = $2, next_run_at = NULL, updated_at = $2 WHERE name = $1",
          [flow.name, now],
        );
        report.removed.push(flow.name);
      }
      return report;
    });
  }

  async triggerRun(request: TriggerRunRequest): Promise<TriggerRunResult> {
    const { flow, now } = request;
    const { period } = request;
    const transaction = this.deps.transaction(async (c): Promise<TriggerRunResult> => {
      const row = (await c.query(LOCK_FLOW, [flow])).rows[0];
      if (!row || row.removed_at !== null) return { status: "not_found" };
      if (!row.enabled) return { status: "disabled" };
      if (period && (await c.query(PERIOD_TAKEN, [period.scheduleId, period.nominalAt])).rows[0]) {
        return { status: "period_taken" };
      }
      const abandoned = await this.closeStale(c, flow, now);
      const inserted = (await c.query(INSERT_PENDING_RUN, [flow, request.source, 1, null, now])).rows[0];
      if (!inserted) return { status: "already_running", run: (await this.activeRun(c, flow))!, abandoned };
      const [job] = await this.deps.insertJobs([request.job], now, c);
      const linked = (
        await c.query("UPDATE data_flow_runs SET job_id = $2 WHERE id = $1 RETURNING *", [
          inserted.id,
          job!.id,
        ])
      ).rows[0]!;
      await c.query(MARK_TRIGGERED, [flow, now]);
      // The flow row lock serializes triggers, not the scheduler, which may have taken the tick
      // since the check above: then roll everything back.
      if (period) {
        const claimed = await c.query(CLAIM_PERIOD, [period.scheduleId, period.nominalAt, now, job!.id]);
        if (claimed.rowCount === 0) throw new PeriodTaken();
      }
      return { status: "enqueued", run: toFlowRunRow(linked), jobId: job!.id, abandoned };
    });
    return transaction.catch((error: unknown) => {
      if (error instanceof PeriodTaken) return { status: "period_taken" as const };
      throw error;
    });
  }

  async claimRun(request: ClaimRunRequest): Promise<ClaimRunResult> {
    const { flow, jobId, now } = request;
    return this.deps.transaction(async (c): Promise<ClaimRunResult> => {
      const row = (await c.query(LOCK_FLOW, [flow])).rows[0];
      if (!row) return { status: "not_found" };
      const abandoned = await this.closeStale(c, flow, now);
      const active = await this.activeRun(c, flow);
      if (active && active.jobId === jobId) {
        if (active.status === "pending") {
          const claimed = (
            await c.query("UPDATE data_flow_runs SET attempt = $2 WHERE id = $1 RETURNING *", [
              active.id,
              request.attempt,
            ])
          ).rows[0]!;
          return { status: "claimed", run: toFlowRunRow(claimed), created: false, abandoned };
        }
        // An earlier attempt of this very job died in progress (its lease expired): close it.
        abandoned.push(await this.closeRun(c, active.id, now, INTERRUPTED_RUN_MESSAGE));
      } else if (active) {
        return { status: "already_running", run: active, abandoned };
      }
      if (request.requireEnabled && (!row.enabled || row.removed_at !== null)) return { status: "disabled" };
      const inserted = (
        await c.query(INSERT_PENDING_RUN, [flow, request.source, request.attempt, jobId, now])
      ).rows[0];
      if (!inserted) return { status: "already_running", run: (await this.activeRun(c, flow))!, abandoned };
      await c.query(MARK_TRIGGERED, [flow, now]);
      return { status: "claimed", run: toFlowRunRow(inserted), created: true, abandoned };
    });
  }

  async startRun(runId: string, now: number): Promise<FlowRunRow | null> {
    if (!isId(runId)) return null;
    return this.deps.transaction(async (c) => {
      await c.query(LOCK_FLOW_OF_RUN, [runId]);
      const row = (
        await c.query(
          "UPDATE data_flow_runs SET status = 'in_progress', started_at = $2 WHERE id = $1 AND status = 'pending' RETURNING *",
          [runId, now],
        )
      ).rows[0];
      if (!row) return null;
      await c.query(SET_LAST_RUN_STATUS, [row.flow, "in_progress", now]);
      return toFlowRunRow(row);
    });
  }

  async finishRun(request: FinishRunRequest): Promise<FinishRunResult> {
    const { runId, endedAt, error } = request;
    if (!isId(runId)) return { run: null, next: null };
    return this.deps.transaction(async (c): Promise<FinishRunResult> => {
      await c.query(LOCK_FLOW_OF_RUN, [runId]);
      const row = (
        await c.query(
          `UPDATE data_flow_runs SET status = $2, ended_at = $3, duration_ms = $3 - coalesce(started_at, $3),
             error_message = $4, error_stack = $5
           WHERE id = $1 AND status = 'in_progress' RETURNING *`,
          [runId, request.status, endedAt, error?.message ?? null, error?.stack ?? null],
        )
      ).rows[0];
      if (!row) return { run: null, next: null };
      const run = toFlowRunRow(row);
      await c.query(SET_LAST_RUN_STATUS, [run.flow, lastRunStatusFor(run.status), endedAt]);
      let next: FlowRunRow | null = null;
      if (request.retry) {
        const inserted = (
          await c.query(INSERT_PENDING_RUN, [run.flow, run.source, request.retry.attempt, run.jobId, endedAt])
        ).rows[0];
        if (inserted) next = toFlowRunRow(inserted);
      }
      return { run, next };
    });
  }

  async releaseStaleRuns(now: number): Promise<FlowRunRow[]> {
    const flows = [...new Set((await this.deps.read(STALE_RUNS)).map((r) => r.flow as string))];
    const closed: FlowRunRow[] = [];
    for (const flow of flows) {
      closed.push(
        ...(await this.deps.transaction(async (c) => {
          await c.query(LOCK_FLOW, [flow]);
          return this.closeStale(c, flow, now);
        })),
      );
    }
    return closed;
  }

  async getFlow(name: string): Promise<FlowRow | null> {
    const [row] = await this.deps.read(`${SELECT_FLOW} WHERE f.name = $1`, [name]);
    return row ? toFlowRow(row) : null;
  }

  async listFlows(): Promise<FlowRow[]> {
    return (await this.deps.read(`${SELECT_FLOW} ORDER BY f.name`)).map(toFlowRow);
  }

  async setFlowEnabled(name: string, enabled: boolean, now: number): Promise<FlowRow> {
    const updated = await this.deps.transaction(
      async (c) =>
        (
          await c.query("UPDATE data_flows SET enabled = $2, updated_at = $3 WHERE name = $1", [
            name,
            enabled,
            now,
          ])
        ).rowCount,
    );
    if (!updated) throw new NotFoundError(`flow "${name}"`);
    return (await this.getFlow(name))!;
  }

  async getRun(id: string): Promise<FlowRunRow | null> {
    if (!isId(id)) return null;
    const [row] = await this.deps.read("SELECT * FROM data_flow_runs WHERE id = $1", [id]);
    return row ? toFlowRunRow(row) : null;
  }

  async listRuns(filter: FlowRunFilter = {}): Promise<FlowRunRow[]> {
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
      if (!isId(filter.jobId)) return [];
      where.push(`job_id = ${param(filter.jobId)}`);
    }
    if (filter.beforeId !== undefined) {
      if (!isId(filter.beforeId)) return [];
      where.push(`id < ${param(filter.beforeId)}`);
    }
    if (filter.createdSince !== undefined) where.push(`created_at >= ${param(filter.createdSince)}`);
    if (filter.createdUntil !== undefined) where.push(`created_at <= ${param(filter.createdUntil)}`);
    const limit = param(filter.limit ?? 100);
    const sql = `SELECT * FROM data_flow_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${limit}`;
    return (await this.deps.read(sql, values)).map(toFlowRunRow);
  }

  async finishedRunSummaries(
    flow: string,
    limit: number,
  ): Promise<{ status: "success" | "failed"; durationMs: number | null }[]> {
    const rows = await this.deps.read(
      `SELECT status, duration_ms FROM data_flow_runs WHERE flow = $1 AND status IN ('success', 'failed')
       ORDER BY id DESC LIMIT $2`,
      [flow, limit],
    );
    return rows.map((r) => ({
      status: r.status as "success" | "failed",
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    }));
  }

  async pruneRuns(limits: { endedBefore: number | null; keepPerFlow: number | null }): Promise<number> {
    const { endedBefore, keepPerFlow } = limits;
    if (endedBefore === null && keepPerFlow === null) return 0;
    return this.deps.transaction(async (c) => {
      const result = await c.query(
        `DELETE FROM data_flow_runs WHERE id IN (
           SELECT id FROM (
             SELECT id, ended_at, row_number() OVER (PARTITION BY flow ORDER BY id DESC) AS rank
             FROM data_flow_runs WHERE status IN ('success', 'failed')) AS ranked
           WHERE ($1::bigint IS NOT NULL AND ended_at < $1::bigint)
              OR ($2::bigint IS NOT NULL AND rank > $2::bigint))`,
        [endedBefore, keepPerFlow],
      );
      return result.rowCount ?? 0;
    });
  }

  // ── helpers (inside a transaction that holds the flow's lock) ────────────

  private async activeRun(c: pg.PoolClient, flow: string): Promise<FlowRunRow | null> {
    const row = (
      await c.query(`SELECT * FROM data_flow_runs WHERE flow = $1 AND status IN ${ACTIVE}`, [flow])
    ).rows[0];
    return row ? toFlowRunRow(row) : null;
  }

  private async closeStale(c: pg.PoolClient, flow: string, now: number): Promise<FlowRunRow[]> {
    const stale = (await c.query(`${STALE_RUNS} AND r.flow = $1`, [flow])).rows;
    const closed: FlowRunRow[] = [];
    for (const r of stale) closed.push(await this.closeRun(c, String(r.id), now, ABANDONED_RUN_MESSAGE));
    return closed;
  }

  private async closeRun(c: pg.PoolClient, id: string, now: number, message: string): Promise<FlowRunRow> {
    const row = (await c.query(CLOSE_RUN, [id, now, message])).rows[0]!;
    await c.query(SET_LAST_RUN_STATUS, [row.flow, "failed", now]);
    return toFlowRunRow(row);
  }
}

/** Run and job ids are bigint: anything else matches nothing (and must not reach a bigint parameter). */
function isId(id: string): boolean {
  return /^[0-9]{1,18}$/.test(id);
}
