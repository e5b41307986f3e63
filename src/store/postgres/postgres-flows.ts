import type pg from "pg";
import { lastRunStatusFor } from "../../core/flow-run-state.ts";
import { NotFoundError } from "../../errors.ts";
import {
  ABANDONED_RUN_MESSAGE,
  type ClaimRunRequest,
  type ClaimRunResult,
  type FinishRunRequest,
  type FinishRunResult,
  type FlowStore,
  type FlowSyncReport,
  INTERRUPTED_RUN_MESSAGE,
  type TriggerRunRequest,
  type TriggerRunResult,
} from "../ports/flow-store.ts";
import type { JobStore } from "../ports/job-store.ts";
import type { FlowDefinitionRow, FlowRow, FlowRunRow } from "../ports/rows.ts";
import { toFlowRow, toFlowRunRow } from "../shared/flow-rows.ts";
import { flowDefinitionValues, flowNeedsUpdate } from "../shared/flow-sync.ts";
import { storableFlowFinish } from "../shared/storable-records.ts";
import { isBigintId, type PostgresDeps } from "./postgres-deps.ts";
import { SELECT_FLOW, UNFINISHED } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const ACTIVE = "('pending', 'in_progress')";
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

/** Two processes starting together: one flow sync at a time, so each flow is created once. */
const SYNC_FLOWS_LOCK = "SELECT pg_advisory_xact_lock(7412003, hashtext(current_schema()))";
const ALL_FLOWS = "SELECT * FROM data_flows";
const INSERT_FLOW = `INSERT INTO data_flows (name, schedule, schedule_id, queue, retries, timeout_ms, backoff,
    next_run_at, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`;
const UPDATE_FLOW = `UPDATE data_flows SET schedule = $2, schedule_id = $3, queue = $4, retries = $5, timeout_ms = $6,
    backoff = $7, next_run_at = $8, removed_at = NULL, updated_at = $9 WHERE name = $1`;
const REMOVE_FLOW =
  "UPDATE data_flows SET removed_at = $2, next_run_at = NULL, updated_at = $2 WHERE name = $1";
const LINK_JOB = "UPDATE data_flow_runs SET job_id = $2 WHERE id = $1 RETURNING *";
const SET_ATTEMPT = "UPDATE data_flow_runs SET attempt = $2 WHERE id = $1 RETURNING *";
const START_RUN =
  "UPDATE data_flow_runs SET status = 'in_progress', started_at = $2 WHERE id = $1 AND status = 'pending' RETURNING *";
const FINISH_RUN = `UPDATE data_flow_runs SET status = $2, ended_at = $3, duration_ms = $3 - coalesce(started_at, $3),
    error_message = $4, error_stack = $5
  WHERE id = $1 AND status = 'in_progress' RETURNING *`;
const SET_ENABLED = "UPDATE data_flows SET enabled = $2, updated_at = $3 WHERE name = $1";
const PRUNE_RUNS = `DELETE FROM data_flow_runs WHERE id IN (
    SELECT id FROM (
      SELECT id, ended_at, row_number() OVER (PARTITION BY flow ORDER BY id DESC) AS rank
      FROM data_flow_runs WHERE status IN ('success', 'failed')) AS ranked
    WHERE ($1::bigint IS NOT NULL AND ended_at < $1::bigint)
       OR ($2::bigint IS NOT NULL AND rank > $2::bigint))`;
const ACTIVE_RUN = `SELECT * FROM data_flow_runs WHERE flow = $1 AND status IN ${ACTIVE}`;
/** A heartbeat and the scheduler claim the same (schedule, period) tick: whoever comes first runs it. */
const PERIOD_TAKEN = "SELECT 1 FROM schedule_ticks WHERE schedule_id = $1 AND nominal_at = $2";
const CLAIM_PERIOD = `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id)
  VALUES ($1, $2, 'fired', 'heartbeat', $3, $4) ON CONFLICT (schedule_id, nominal_at) DO NOTHING`;

/** Thrown inside the trigger transaction to roll it back when the scheduler took the period. */
class PeriodTaken extends Error {}

/** `store.flows` on PostgreSQL: `data_flows` and `data_flow_runs` on the adapter's pool. */
export class PostgresFlows implements FlowStore {
  constructor(
    private readonly deps: PostgresDeps,
    /** The jobs store's transactional enqueue: the job commits with the run, NOTIFY fires on commit. */
    private readonly jobs: Pick<JobStore, "insertJobs">,
  ) {}

  async syncFlows(defs: readonly FlowDefinitionRow[], now: number): Promise<FlowSyncReport> {
    return this.deps.transaction(async (c) => {
      // Two processes starting together: one sync at a time, so each flow is created once.
      await c.query(SYNC_FLOWS_LOCK);
      const report: FlowSyncReport = { created: [], updated: [], removed: [], restored: [] };
      const existing = new Map((await c.query(ALL_FLOWS)).rows.map((r) => [r.name as string, toFlowRow(r)]));
      for (const def of defs) {
        const before = existing.get(def.name);
        existing.delete(def.name);
        const values = [...flowDefinitionValues(def), now];
        if (!before) {
          await c.query(INSERT_FLOW, values);
          report.created.push(def.name);
          continue;
        }
        if (!flowNeedsUpdate(before, def)) continue;
        await c.query(UPDATE_FLOW, values);
        if (before.removedAt !== null) report.restored.push(def.name);
        else report.updated.push(def.name);
      }
      for (const flow of existing.values()) {
        if (flow.removedAt !== null) continue;
        await c.query(REMOVE_FLOW, [flow.name, now]);
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
      const [job] = await this.jobs.insertJobs([request.job], now, { client: c });
      const linked = (await c.query(LINK_JOB, [inserted.id, job!.id])).rows[0]!;
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
          const claimed = (await c.query(SET_ATTEMPT, [active.id, request.attempt])).rows[0]!;
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
    if (!isBigintId(runId)) return null;
    return this.deps.transaction(async (c) => {
      await c.query(LOCK_FLOW_OF_RUN, [runId]);
      const row = (await c.query(START_RUN, [runId, now])).rows[0];
      if (!row) return null;
      await c.query(SET_LAST_RUN_STATUS, [row.flow, "in_progress", now]);
      return toFlowRunRow(row);
    });
  }

  async finishRun(given: FinishRunRequest): Promise<FinishRunResult> {
    const request = storableFlowFinish(given);
    const { runId, endedAt, error } = request;
    if (!isBigintId(runId)) return { run: null, next: null };
    return this.deps.transaction(async (c): Promise<FinishRunResult> => {
      await c.query(LOCK_FLOW_OF_RUN, [runId]);
      const row = (
        await c.query(FINISH_RUN, [
          runId,
          request.status,
          endedAt,
          error?.message ?? null,
          error?.stack ?? null,
        ])
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

  async setFlowEnabled(name: string, enabled: boolean, now: number): Promise<FlowRow> {
    const updated = await this.deps.transaction(
      async (c) => (await c.query(SET_ENABLED, [name, enabled, now])).rowCount,
    );
    if (!updated) throw new NotFoundError(`flow "${name}"`);
    const [row] = await this.deps.read(`${SELECT_FLOW} WHERE f.name = $1`, [name]);
    return toFlowRow(row!);
  }

  async pruneRuns(limits: { endedBefore: number | null; keepPerFlow: number | null }): Promise<number> {
    const { endedBefore, keepPerFlow } = limits;
    if (endedBefore === null && keepPerFlow === null) return 0;
    return this.deps.transaction(async (c) => {
      const result = await c.query(PRUNE_RUNS, [endedBefore, keepPerFlow]);
      return result.rowCount ?? 0;
    });
  }

  // ── helpers (inside a transaction that holds the flow's lock) ────────────

  private async activeRun(c: pg.PoolClient, flow: string): Promise<FlowRunRow | null> {
    const row = (await c.query(ACTIVE_RUN, [flow])).rows[0];
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
