import type Database from "better-sqlite3";
import { FLOW_RUN_STATUSES, lastRunStatusFor } from "../../core/flow-run-state.ts";
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
import type { JobInsert } from "../store.ts";
import { INSERT_JOB, insertJobValues } from "./sqlite-job-insert.ts";
import { unfinishedState } from "./sqlite-states.ts";

type Row = Record<string, unknown>;

/** What the SQLite adapter lends its flow store: its statements, its write transaction and its hints. */
export interface SqliteFlowStoreDeps {
  /** The adapter's prepared statement for `sql` (one cache per connection). */
  stmt(sql: string): Database.Statement;
  /** BEGIN IMMEDIATE with SQLITE_BUSY retries (the adapter's). */
  write<T>(fn: () => T): Promise<T>;
  /** Wakes this process's workers for jobs just inserted. */
  hint(jobs: readonly { queue: string; runAt: number }[]): void;
}

const ACTIVE = "('pending', 'in_progress')";
/** A flow row with its schedule's live next fire time (null while disabled, removed or paused). */
const SELECT_FLOW = `SELECT f.*, s.next_fire_at AS schedule_next_fire_at, s.paused AS schedule_paused
  FROM data_flows AS f LEFT JOIN schedules AS s ON s.id = f.schedule_id`;
/** Active runs whose job is finished or gone: nothing will ever finish them. */
const STALE_RUNS = `SELECT * FROM data_flow_runs AS r WHERE r.status IN ${ACTIVE}
  AND NOT EXISTS (SELECT 1 FROM jobs AS j WHERE j.id = r.job_id AND ${unfinishedState("j.state")})`;

/** `data_flows` and `data_flow_runs` on the adapter's connection; every write in BEGIN IMMEDIATE. */
export class SqliteFlowStore implements FlowStore {
  constructor(private readonly deps: SqliteFlowStoreDeps) {}

  private stmt(sql: string): Database.Statement {
    return this.deps.stmt(sql);
  }

  async syncFlows(defs: readonly FlowDefinitionRow[], now: number): Promise<FlowSyncReport> {
    return this.deps.write(() => {
      const report: FlowSyncReport = { created: [], updated: [], removed: [], restored: [] };
      const existing = new Map(
        (this.stmt("SELECT * FROM data_flows").all() as Row[]).map((r) => [r.name as string, toFlowRow(r)]),
      );
      for (const def of defs) {
        const before = existing.get(def.name);
        existing.delete(def.name);
        const schedule = def.schedule === null ? null : JSON.stringify(def.schedule);
        if (!before) {
          this.stmt(
            `INSERT INTO data_flows (name, schedule, schedule_id, queue, retries, timeout_ms, backoff, next_run_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            def.name,
            schedule,
            def.scheduleId,
            def.queue,
            def.retries,
            def.timeoutMs,
            def.backoff,
            def.nextRunAt,
            now,
            now,
          );
          report.created.push(def.name);
          continue;
        }
        if (!flowNeedsUpdate(before, def)) continue;
        this.stmt(
          `UPDATE data_flows SET schedule = ?, schedule_id = ?, queue = ?, retries = ?, timeout_ms = ?, backoff = ?,
             next_run_at = ?, removed_at = NULL, updated_at = ? WHERE name = ?`,
        ).run(
          schedule,
          def.scheduleId,
          def.queue,
          def.retries,
          def.timeoutMs,
          def.backoff,
          def.nextRunAt,
          now,
          def.name,
        );
        if (before.removedAt !== null) report.restored.push(def.name);
        else report.updated.push(def.name);
      }
      for (const flow of existing.values()) {
        if (flow.removedAt !== null) continue;
        this.stmt(
          "UPDATE data_flows SET removed_at = ?, next_run_at = NULL, updated_at = ? WHERE name = ?",
        ).run(now, now, flow.name);
        report.removed.push(flow.name);
      }
      return report;
    });
  }

  async triggerRun(request: TriggerRunRequest): Promise<TriggerRunResult> {
    const { flow, now } = request;
    const result = await this.deps.write((): TriggerRunResult => {
      const row = this.stmt("SELECT enabled, removed_at FROM data_flows WHERE name = ?").get(flow) as
        | Row
        | undefined;
      if (!row || row.removed_at !== null) return { status: "not_found" };
      if (!row.enabled) return { status: "disabled" };
      const { period } = request;
      if (period && this.periodTaken(period)) return { status: "period_taken" };
      const abandoned = this.closeStale(flow, now);
      const runId = this.insertPendingRun(flow, request.source, 1, null, now);
      if (runId === null) return { status: "already_running", run: this.activeRun(flow)!, abandoned };
      const jobId = this.insertJob(request.job, now);
      this.stmt("UPDATE data_flow_runs SET job_id = ? WHERE id = ?").run(jobId, runId);
      // Serialized writers: checked above in this transaction, so this insert cannot conflict.
      if (period) {
        this.stmt(
          "INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id) VALUES (?, ?, 'fired', 'heartbeat', ?, ?)",
        ).run(period.scheduleId, period.nominalAt, now, jobId);
      }
      this.markTriggered(flow, now);
      return { status: "enqueued", run: this.requireRun(runId), jobId, abandoned };
    });
    if (result.status === "enqueued")
      this.deps.hint([{ queue: request.job.queue, runAt: request.job.runAt }]);
    return result;
  }

  private periodTaken(period: { scheduleId: string; nominalAt: number }): boolean {
    return (
      this.stmt("SELECT 1 FROM schedule_ticks WHERE schedule_id = ? AND nominal_at = ?").get(
        period.scheduleId,
        period.nominalAt,
      ) !== undefined
    );
  }

  async claimRun(request: ClaimRunRequest): Promise<ClaimRunResult> {
    const { flow, jobId, now } = request;
    return this.deps.write((): ClaimRunResult => {
      const row = this.stmt("SELECT enabled, removed_at FROM data_flows WHERE name = ?").get(flow) as
        | Row
        | undefined;
      if (!row) return { status: "not_found" };
      const abandoned = this.closeStale(flow, now);
      const active = this.activeRun(flow);
      if (active && active.jobId === jobId) {
        if (active.status === "pending") {
          this.stmt("UPDATE data_flow_runs SET attempt = ? WHERE id = ?").run(request.attempt, active.id);
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
      const row = this.stmt(
        "UPDATE data_flow_runs SET status = 'in_progress', started_at = ? WHERE id = ? AND status = 'pending' RETURNING *",
      ).get(now, runId) as Row | undefined;
      if (!row) return null;
      this.setLastRunStatus(row.flow as string, "in_progress", now);
      return toFlowRunRow(row);
    });
  }

  async finishRun(request: FinishRunRequest): Promise<FinishRunResult> {
    const { runId, endedAt, error } = request;
    return this.deps.write((): FinishRunResult => {
      const row = this.stmt(
        `UPDATE data_flow_runs SET status = ?, ended_at = ?, duration_ms = ? - coalesce(started_at, ?),
           error_message = ?, error_stack = ?
         WHERE id = ? AND status = 'in_progress' RETURNING *`,
      ).get(request.status, endedAt, endedAt, endedAt, error?.message ?? null, error?.stack ?? null, runId) as
        | Row
        | undefined;
      if (!row) return { run: null, next: null };
      const run = toFlowRunRow(row);
      this.setLastRunStatus(run.flow, lastRunStatusFor(run.status), endedAt);
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
    if (!this.stmt(`${STALE_RUNS} LIMIT 1`).get()) return [];
    return this.deps.write(() => {
      const closed: FlowRunRow[] = [];
      for (const r of this.stmt(STALE_RUNS).all() as Row[]) {
        this.closeRun(String(r.id), now, ABANDONED_RUN_MESSAGE);
        closed.push(this.requireRun(String(r.id)));
      }
      return closed;
    });
  }

  async getFlow(name: string): Promise<FlowRow | null> {
    const row = this.stmt(`${SELECT_FLOW} WHERE f.name = ?`).get(name) as Row | undefined;
    return row ? toFlowRow(row) : null;
  }

  async listFlows(): Promise<FlowRow[]> {
    return (this.stmt(`${SELECT_FLOW} ORDER BY f.name`).all() as Row[]).map(toFlowRow);
  }

  async setFlowEnabled(name: string, enabled: boolean, now: number): Promise<FlowRow> {
    return this.deps.write(() => {
      const changes = this.stmt("UPDATE data_flows SET enabled = ?, updated_at = ? WHERE name = ?").run(
        enabled ? 1 : 0,
        now,
        name,
      ).changes;
      if (changes === 0) throw new NotFoundError(`flow "${name}"`);
      return toFlowRow(this.stmt(`${SELECT_FLOW} WHERE f.name = ?`).get(name) as Row);
    });
  }

  async getRun(id: string): Promise<FlowRunRow | null> {
    const row = this.stmt("SELECT * FROM data_flow_runs WHERE id = ?").get(id) as Row | undefined;
    return row ? toFlowRunRow(row) : null;
  }

  async listRuns(filter: FlowRunFilter = {}): Promise<FlowRunRow[]> {
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
    return (this.stmt(sql).all(...params, filter.limit ?? 100) as Row[]).map(toFlowRunRow);
  }

  async finishedRunSummaries(
    flow: string,
    limit: number,
  ): Promise<{ status: "success" | "failed"; durationMs: number | null }[]> {
    const rows = this.stmt(
      `SELECT status, duration_ms FROM data_flow_runs WHERE flow = ? AND status IN ('success', 'failed')
       ORDER BY id DESC LIMIT ?`,
    ).all(flow, limit) as Row[];
    return rows.map((r) => ({
      status: r.status as "success" | "failed",
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    }));
  }

  async pruneRuns(limits: { endedBefore: number | null; keepPerFlow: number | null }): Promise<number> {
    const { endedBefore, keepPerFlow } = limits;
    if (endedBefore === null && keepPerFlow === null) return 0;
    return this.deps.write(
      () =>
        this.stmt(
          `DELETE FROM data_flow_runs WHERE id IN (
             SELECT id FROM (
               SELECT id, ended_at, row_number() OVER (PARTITION BY flow ORDER BY id DESC) AS rank
               FROM data_flow_runs WHERE status IN ('success', 'failed'))
             WHERE (? IS NOT NULL AND ended_at < ?) OR (? IS NOT NULL AND rank > ?))`,
        ).run(endedBefore, endedBefore, keepPerFlow, keepPerFlow).changes,
    );
  }

  // ── helpers (inside a write transaction) ─────────────────────────────────

  private activeRun(flow: string): FlowRunRow | null {
    const row = this.stmt(`SELECT * FROM data_flow_runs WHERE flow = ? AND status IN ${ACTIVE}`).get(flow) as
      | Row
      | undefined;
    return row ? toFlowRunRow(row) : null;
  }

  private requireRun(id: string): FlowRunRow {
    return toFlowRunRow(this.stmt("SELECT * FROM data_flow_runs WHERE id = ?").get(id) as Row);
  }

  /** The unique index decides: null when another run of the flow is active. */
  private insertPendingRun(
    flow: string,
    source: string,
    attempt: number,
    jobId: string | null,
    now: number,
  ): string | null {
    const info = this.stmt(
      `INSERT INTO data_flow_runs (flow, status, source, attempt, job_id, created_at) VALUES (?, 'pending', ?, ?, ?, ?)
       ON CONFLICT (flow) WHERE status IN ${ACTIVE} DO NOTHING`,
    ).run(flow, source, attempt, jobId, now);
    return info.changes === 1 ? String(info.lastInsertRowid) : null;
  }

  private closeStale(flow: string, now: number): FlowRunRow[] {
    const stale = this.stmt(`${STALE_RUNS} AND r.flow = ?`).all(flow) as Row[];
    return stale.map((r) => {
      this.closeRun(String(r.id), now, ABANDONED_RUN_MESSAGE);
      return this.requireRun(String(r.id));
    });
  }

  private closeRun(id: string, now: number, message: string): void {
    const row = this.stmt(
      `UPDATE data_flow_runs SET status = 'failed', ended_at = ?,
         duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE ? - started_at END, error_message = ?
       WHERE id = ? AND status IN ${ACTIVE} RETURNING flow`,
    ).get(now, now, message, id) as Row | undefined;
    if (row) this.setLastRunStatus(row.flow as string, "failed", now);
  }

  private markTriggered(flow: string, now: number): void {
    this.stmt(
      `UPDATE data_flows SET last_run_at = ?, last_run_status = 'in_progress', updated_at = ?,
         next_run_at = coalesce((SELECT next_fire_at FROM schedules WHERE id = data_flows.schedule_id), next_run_at)
       WHERE name = ?`,
    ).run(now, now, flow);
  }

  private setLastRunStatus(flow: string, status: string, now: number): void {
    this.stmt("UPDATE data_flows SET last_run_status = ?, updated_at = ? WHERE name = ?").run(
      status,
      now,
      flow,
    );
  }

  private insertJob(job: JobInsert, now: number): string {
    const info = this.stmt(INSERT_JOB).run(...insertJobValues(job, now));
    return String(info.lastInsertRowid);
  }
}
