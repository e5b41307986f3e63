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
import type { FlowDefinitionRow, FlowRow, FlowRunRow } from "../ports/rows.ts";
import { toFlowRow, toFlowRunRow } from "../shared/flow-rows.ts";
import { flowDefinitionValues, flowNeedsUpdate } from "../shared/flow-sync.ts";
import { storableFlowFinish } from "../shared/storable-records.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { INSERT_JOB, insertJobValues, SELECT_FLOW, SELECT_FLOW_RUN, unfinishedState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const ACTIVE = "('pending', 'in_progress')";
/** Active runs whose job is finished or gone: nothing will ever finish them. */
const STALE_RUNS = `SELECT * FROM data_flow_runs AS r WHERE r.status IN ${ACTIVE}
  AND NOT EXISTS (SELECT 1 FROM jobs AS j WHERE j.id = r.job_id AND ${unfinishedState("j.state")})`;
const ALL_FLOWS = "SELECT * FROM data_flows";
const INSERT_FLOW = `INSERT INTO data_flows (name, schedule, schedule_id, queue, retries, timeout_ms, backoff,
             next_run_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_FLOW = `UPDATE data_flows SET schedule = ?, schedule_id = ?, queue = ?, retries = ?, timeout_ms = ?,
             backoff = ?, next_run_at = ?, removed_at = NULL, updated_at = ? WHERE name = ?`;
const REMOVE_FLOW = "UPDATE data_flows SET removed_at = ?, next_run_at = NULL, updated_at = ? WHERE name = ?";
const FLOW_FLAGS = "SELECT enabled, removed_at FROM data_flows WHERE name = ?";
const LINK_JOB = "UPDATE data_flow_runs SET job_id = ? WHERE id = ?";
const SET_ATTEMPT = "UPDATE data_flow_runs SET attempt = ? WHERE id = ?";
const START_RUN =
  "UPDATE data_flow_runs SET status = 'in_progress', started_at = ? WHERE id = ? AND status = 'pending' RETURNING *";
const FINISH_RUN = `UPDATE data_flow_runs SET status = ?, ended_at = ?, duration_ms = ? - coalesce(started_at, ?),
           error_message = ?, error_stack = ?
         WHERE id = ? AND status = 'in_progress' RETURNING *`;
const SET_ENABLED = "UPDATE data_flows SET enabled = ?, updated_at = ? WHERE name = ?";
const PRUNE_RUNS = `DELETE FROM data_flow_runs WHERE id IN (
             SELECT id FROM (
               SELECT id, ended_at, row_number() OVER (PARTITION BY flow ORDER BY id DESC) AS rank
               FROM data_flow_runs WHERE status IN ('success', 'failed'))
             WHERE (? IS NOT NULL AND ended_at < ?) OR (? IS NOT NULL AND rank > ?))`;
const ACTIVE_RUN = `SELECT * FROM data_flow_runs WHERE flow = ? AND status IN ${ACTIVE}`;
/** The unique index on a flow's active run decides: nothing inserted when another is active. */
const INSERT_PENDING_RUN = `INSERT INTO data_flow_runs (flow, status, source, attempt, job_id, created_at)
       VALUES (?, 'pending', ?, ?, ?, ?)
       ON CONFLICT (flow) WHERE status IN ${ACTIVE} DO NOTHING`;
const CLOSE_RUN = `UPDATE data_flow_runs SET status = 'failed', ended_at = ?,
         duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE ? - started_at END, error_message = ?
       WHERE id = ? AND status IN ${ACTIVE} RETURNING flow`;
const MARK_TRIGGERED = `UPDATE data_flows SET last_run_at = ?, last_run_status = 'in_progress', updated_at = ?,
         next_run_at = coalesce((SELECT next_fire_at FROM schedules WHERE id = data_flows.schedule_id), next_run_at)
       WHERE name = ?`;
/** A heartbeat and the scheduler claim the same (schedule, period) tick: whoever comes first runs it. */
const PERIOD_TAKEN = "SELECT 1 FROM schedule_ticks WHERE schedule_id = ? AND nominal_at = ?";
const INSERT_HEARTBEAT_TICK = `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id)
       VALUES (?, ?, 'fired', 'heartbeat', ?, ?)`;
const SET_LAST_RUN_STATUS = "UPDATE data_flows SET last_run_status = ?, updated_at = ? WHERE name = ?";

/** `store.flows` on SQLite: `data_flows` and `data_flow_runs`; every write in BEGIN IMMEDIATE. */
export class SqliteFlows implements FlowStore {
  constructor(private readonly deps: SqliteDeps) {}

  private run(sql: string, ...params: unknown[]) {
    return this.deps.stmt(sql).run(...params);
  }

  async syncFlows(defs: readonly FlowDefinitionRow[], now: number): Promise<FlowSyncReport> {
    return this.deps.write(() => {
      const report: FlowSyncReport = { created: [], updated: [], removed: [], restored: [] };
      const existing = new Map(
        (this.deps.stmt(ALL_FLOWS).all() as Row[]).map((r) => [r.name as string, toFlowRow(r)]),
      );
      for (const def of defs) {
        const before = existing.get(def.name);
        existing.delete(def.name);
        const [name, ...columns] = flowDefinitionValues(def);
        if (!before) {
          this.run(INSERT_FLOW, name, ...columns, now, now);
          report.created.push(def.name);
          continue;
        }
        if (!flowNeedsUpdate(before, def)) continue;
        this.run(UPDATE_FLOW, ...columns, now, name);
        if (before.removedAt !== null) report.restored.push(def.name);
        else report.updated.push(def.name);
      }
      for (const flow of existing.values()) {
        if (flow.removedAt !== null) continue;
        this.run(REMOVE_FLOW, now, now, flow.name);
        report.removed.push(flow.name);
      }
      return report;
    });
  }

  async triggerRun(request: TriggerRunRequest): Promise<TriggerRunResult> {
    const { flow, now } = request;
    const result = await this.deps.write((): TriggerRunResult => {
      const row = this.deps.stmt(FLOW_FLAGS).get(flow) as Row | undefined;
      if (!row || row.removed_at !== null) return { status: "not_found" };
      if (!row.enabled) return { status: "disabled" };
      const { period } = request;
      if (period && this.deps.stmt(PERIOD_TAKEN).get(period.scheduleId, period.nominalAt) !== undefined)
        return { status: "period_taken" };
      const abandoned = this.closeStale(flow, now);
      const runId = this.insertPendingRun(flow, request.source, 1, null, now);
      if (runId === null) return { status: "already_running", run: this.activeRun(flow)!, abandoned };
      const jobId = String(this.run(INSERT_JOB, ...insertJobValues(request.job, now)).lastInsertRowid);
      this.run(LINK_JOB, jobId, runId);
      // Serialized writers: checked above in this transaction, so this insert cannot conflict.
      if (period) this.run(INSERT_HEARTBEAT_TICK, period.scheduleId, period.nominalAt, now, jobId);
      this.markTriggered(flow, now);
      return { status: "enqueued", run: this.requireRun(runId), jobId, abandoned };
    });
    if (result.status === "enqueued")
      this.deps.hint([{ queue: request.job.queue, runAt: request.job.runAt }]);
    return result;
  }

  async claimRun(request: ClaimRunRequest): Promise<ClaimRunResult> {
    const { flow, jobId, now } = request;
    return this.deps.write((): ClaimRunResult => {
      const row = this.deps.stmt(FLOW_FLAGS).get(flow) as Row | undefined;
      if (!row) return { status: "not_found" };
      const abandoned = this.closeStale(flow, now);
      const active = this.activeRun(flow);
      if (active && active.jobId === jobId) {
        if (active.status === "pending") {
          this.run(SET_ATTEMPT, request.attempt, active.id);
          return { status: "claimed", run: this.requireRun(active.id), created: false, abandoned };
        }
        // An earlier attempt of this very job died in progress (its lease expired): close it.
        this.closeRun(active.id, now, INTERRUPTED_RUN_MESSAGE);
        abandoned.push(this.requireRun(active.id));
      } else if (active) {
        return { status: "already_running", run: active, abandoned };
      }
      if (request.requireEnabled && (!row.enabled || row.removed_at !== null)) return { status: "disabled" };
      const runId = this.insertPendingRun(flow, request.source, request.attempt, jobId, now);
      // Serialized writers: the active run was checked in this transaction, so the insert cannot conflict.
      if (runId === null) return { status: "already_running", run: this.activeRun(flow)!, abandoned };
      this.markTriggered(flow, now);
      return { status: "claimed", run: this.requireRun(runId), created: true, abandoned };
    });
  }

  async startRun(runId: string, now: number): Promise<FlowRunRow | null> {
    return this.deps.write(() => {
      const row = this.deps.stmt(START_RUN).get(now, runId) as Row | undefined;
      if (!row) return null;
      this.run(SET_LAST_RUN_STATUS, "in_progress", now, row.flow);
      return toFlowRunRow(row);
    });
  }

  async finishRun(given: FinishRunRequest): Promise<FinishRunResult> {
    const request = storableFlowFinish(given);
    const { runId, endedAt, error } = request;
    return this.deps.write((): FinishRunResult => {
      const row = this.deps
        .stmt(FINISH_RUN)
        .get(
          request.status,
          endedAt,
          endedAt,
          endedAt,
          error?.message ?? null,
          error?.stack ?? null,
          runId,
        ) as Row | undefined;
      if (!row) return { run: null, next: null };
      const run = toFlowRunRow(row);
      this.run(SET_LAST_RUN_STATUS, lastRunStatusFor(run.status), endedAt, run.flow);
      let next: FlowRunRow | null = null;
      if (request.retry) {
        const nextId = this.insertPendingRun(run.flow, run.source, request.retry.attempt, run.jobId, endedAt);
        if (nextId !== null) next = this.requireRun(nextId);
      }
      return { run, next };
    });
  }

  async releaseStaleRuns(now: number): Promise<FlowRunRow[]> {
    // Cheap read first: most calls find nothing and need no write lock.
    if (!this.deps.stmt(`${STALE_RUNS} LIMIT 1`).get()) return [];
    return this.deps.write(() => {
      const closed: FlowRunRow[] = [];
      for (const r of this.deps.stmt(STALE_RUNS).all() as Row[]) {
        this.closeRun(String(r.id), now, ABANDONED_RUN_MESSAGE);
        closed.push(this.requireRun(String(r.id)));
      }
      return closed;
    });
  }

  async setFlowEnabled(name: string, enabled: boolean, now: number): Promise<FlowRow> {
    return this.deps.write(() => {
      if (this.run(SET_ENABLED, enabled ? 1 : 0, now, name).changes === 0)
        throw new NotFoundError(`flow "${name}"`);
      return toFlowRow(this.deps.stmt(`${SELECT_FLOW} WHERE f.name = ?`).get(name) as Row);
    });
  }

  async pruneRuns(limits: { endedBefore: number | null; keepPerFlow: number | null }): Promise<number> {
    const { endedBefore, keepPerFlow } = limits;
    if (endedBefore === null && keepPerFlow === null) return 0;
    return this.deps.write(
      () => this.run(PRUNE_RUNS, endedBefore, endedBefore, keepPerFlow, keepPerFlow).changes,
    );
  }

  // ── helpers (inside a write transaction) ─────────────────────────────────

  private activeRun(flow: string): FlowRunRow | null {
    const row = this.deps.stmt(ACTIVE_RUN).get(flow) as Row | undefined;
    return row ? toFlowRunRow(row) : null;
  }

  private requireRun(id: string): FlowRunRow {
    return toFlowRunRow(this.deps.stmt(SELECT_FLOW_RUN).get(id) as Row);
  }

  /** The unique index decides: null when another run of the flow is active. */
  private insertPendingRun(
    flow: string,
    source: string,
    attempt: number,
    jobId: string | null,
    now: number,
  ): string | null {
    const info = this.run(INSERT_PENDING_RUN, flow, source, attempt, jobId, now);
    return info.changes === 1 ? String(info.lastInsertRowid) : null;
  }

  private closeStale(flow: string, now: number): FlowRunRow[] {
    const stale = this.deps.stmt(`${STALE_RUNS} AND r.flow = ?`).all(flow) as Row[];
    return stale.map((r) => {
      this.closeRun(String(r.id), now, ABANDONED_RUN_MESSAGE);
      return this.requireRun(String(r.id));
    });
  }

  private closeRun(id: string, now: number, message: string): void {
    const row = this.deps.stmt(CLOSE_RUN).get(now, now, message, id) as Row | undefined;
    if (row) this.run(SET_LAST_RUN_STATUS, "failed", now, row.flow);
  }

  private markTriggered(flow: string, now: number): void {
    this.run(MARK_TRIGGERED, now, now, flow);
  }
}
