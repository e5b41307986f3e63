import { EventEmitter } from "node:events";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { isFinalState, type JobState } from "../../core/job-state.ts";
import { NotFoundError } from "../../errors.ts";
import { isPlainSuccessBatch } from "../finish-batch.ts";
import { claimedOnInsert, leasableOnInsert } from "../insert-lease.ts";
import { type AppliedMigration, checksumOf, planMigrations } from "../migrator.ts";
import type { MonitorStore } from "../monitor-store.ts";
import { toClaimedJob, toJobRow, toJobRunRow } from "../rows.ts";
import { finishIsolated } from "../shared/finish-isolation.ts";
import { SchemaGuard } from "../shared/schema-guard.ts";
import { storableJobs } from "../shared/storable-jobs.ts";
import type {
  AttemptFinish,
  ClaimedJob,
  ClaimRequest,
  FinishResult,
  FiredTick,
  FireRequest,
  InsertResult,
  JobFilter,
  JobInsert,
  JobRow,
  JobRunRow,
  JobsInsertedHint,
  Lease,
  LeaseGrant,
  MigrationReport,
  QueueCount,
  ScheduleDefinitionRow,
  ScheduleRow,
  Store,
  SyncReport,
  TickRow,
} from "../store.ts";
import { SqliteFlowStore } from "./sqlite-flow-store.ts";
import { SqliteHistory } from "./sqlite-history.ts";
import {
  INSERT_JOB,
  INSERT_LEASED_JOB,
  insertJobValues,
  insertLeasedJobValues,
} from "./sqlite-job-insert.ts";
import { sqliteMigrations } from "./sqlite-migrations.ts";
import { SqliteMonitorStore } from "./sqlite-monitor-store.ts";
import { isSqliteValueRefusal } from "./sqlite-refusal.ts";
import { SqliteSchedules } from "./sqlite-schedules.ts";
import { pendingState, unfinishedState } from "./sqlite-states.ts";

type Row = Record<string, unknown>;

/**
 * Insert hints for every store open on the same file in this process. Other processes on the
 * file cannot hear them and poll (capabilities.pushNotify = false).
 */
const hintsByFile = new Map<string, EventEmitter>();

function hintsFor(file: string): EventEmitter {
  let emitter = hintsByFile.get(file);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    hintsByFile.set(file, emitter);
  }
  return emitter;
}

/**
 * Waiting for another process's write lock (issue 19). better-sqlite3's busy handler waits on the
 * main thread, so a process stalled while holding the lock once froze every other process's
 * event loop — heartbeats, HTTP, timers — for up to a minute. The busy timeout is kept short and
 * the rest of the wait is asynchronous: back off with jitter, give up after a minute, and report
 * a wait past STALL_REPORT_MS (the lock holder is stalled, or writes contend too hard).
 */
const BUSY_TIMEOUT_MS = 20;
const BUSY_RETRY_DEADLINE_MS = 60_000;
const STALL_REPORT_MS = 1_000;
const BUSY_PAUSE_MAX_MS = 200;
/** Rows per multi-row statement: 9 params × 200 stays far below SQLite's 32 766 variable limit. */
const FINISH_CHUNK = 200;
/** "(?, ?, ?), (?, ?, ?)" for `rows` rows of `columns` values. */
const rowsOf = (rows: number, columns: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => "?").join(", ")})`).join(", ");
const PENDING_J = pendingState("j.state");
/**
 * Jobs sharing a state key run one at a time (their ctx.state updates would otherwise race):
 * a keyed job is claimable only when no job with its key runs and it is the first due one.
 * Costs nothing for unkeyed jobs, the common case (state_key IS NULL short-circuits). The first
 * due job is looked up in jobs_state_key_unfinished, whose predicate the lookup must spell out:
 * left to choose, the planner walks jobs_due, every pending job of every key.
 */
const ONE_PER_STATE_KEY = `(j.state_key IS NULL OR (
  NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.state_key = j.state_key AND r.state = 'running')
  AND j.id = (SELECT p.id FROM jobs AS p INDEXED BY jobs_state_key_unfinished
              WHERE p.state_key = j.state_key AND ${unfinishedState("p.state")} AND ${pendingState("p.state")}
                AND p.run_at <= ?
              ORDER BY p.run_at, p.id LIMIT 1)))`;
const UNFINISHED = unfinishedState();
/** Queue gating (monitors): a queue with a closed gate is not claimed from. queue_gates is ~empty. */
const OPEN_QUEUE = "j.queue NOT IN (SELECT queue FROM queue_gates)";

export interface SqliteStoreOptions {
  /**
   * busy_timeout in ms (default 20): how long a writer busy-waits, blocking the event loop, for
   * another process's lock before each asynchronous retry.
   */
  busyTimeoutMs?: number;
  /** Problems the store waited out or surfaced: a write lock held by another process too long. */
  onError?: (error: Error, where: string) => void;
}

/** The SQLite adapter: better-sqlite3, WAL, BEGIN IMMEDIATE for every write transaction. */
export class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly capabilities = { skipLocked: false, pushNotify: false, transactionalEnqueue: false };
  readonly file: string;
  private readonly db: Database.Database;
  private readonly hints: EventEmitter;
  private readonly statements = new Map<string, Database.Statement>();
  readonly monitors: MonitorStore;
  readonly flows: SqliteFlowStore;
  readonly history: SqliteHistory;
  private readonly schedules: SqliteSchedules;
  private readonly onError: (error: Error, where: string) => void;
  private readonly schema = new SchemaGuard(sqliteMigrations.at(-1)?.version ?? 0);

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.file = file === ":memory:" ? file : resolve(file);
    this.db = new Database(this.file, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
    this.onError = options.onError ?? (() => undefined);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: durable across process crashes (kill -9); only an OS crash or power
    // loss can drop the last transactions. FULL costs an fsync per commit (~10x slower claims).
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.hints = hintsFor(this.file);
    const wake = (queues: readonly string[]) => this.emitHint(queues.map((queue) => ({ queue, runAt: 0 })));
    const stmt = (sql: string) => this.stmt(sql);
    const write = <T>(fn: () => T): Promise<T> => this.write(fn);
    this.monitors = new SqliteMonitorStore({ stmt, write, wake });
    const hint = (jobs: readonly { queue: string; runAt: number }[]) => this.emitHint(jobs);
    this.flows = new SqliteFlowStore({ stmt, write, hint });
    this.schedules = new SqliteSchedules({ stmt, write, hint });
    this.history = new SqliteHistory({ stmt, write });
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction, retrying SQLITE_BUSY without blocking the event
   * loop (see BUSY_TIMEOUT_MS) so it never reaches a caller before the deadline. Refuses to write
   * into a schema newer than this code (SchemaGuard).
   */
  private async write<T>(fn: () => T, options: { migrating?: boolean } = {}): Promise<T> {
    const started = Date.now();
    let pause = 5;
    let reported = false;
    for (;;) {
      try {
        if (!options.migrating && this.schema.due()) this.schema.record(this.latestAppliedVersion());
        return this.db.transaction(fn).immediate();
      } catch (error) {
        const code = (error as { code?: string }).code;
        const busy = code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
        const waited = Date.now() - started;
        if (!busy || waited > BUSY_RETRY_DEADLINE_MS) throw error;
        if (!reported && waited >= STALL_REPORT_MS) {
          reported = true;
          this.onError(
            new Error(
              `waited ${waited}ms for the SQLite write lock another process holds (still waiting up to ${BUSY_RETRY_DEADLINE_MS / 1000}s, without blocking): is a process stalled inside a write?`,
            ),
            "sqlite write lock",
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random() / 2)));
        pause = Math.min(pause * 2, BUSY_PAUSE_MAX_MS);
      }
    }
  }

  /** The ledger's latest version, or null when there is no ledger yet (a fresh file). */
  private latestAppliedVersion(): number | null {
    const ledger = this.stmt(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickflow_migrations'",
    ).get();
    if (!ledger) return null;
    const row = this.db.prepare("SELECT max(version) AS v FROM tickflow_migrations").get() as {
      v: number | null;
    };
    return row.v;
  }

  async migrate(): Promise<MigrationReport> {
    return this.write(
      () => {
        this.ensureLedger();
        const pending = planMigrations(sqliteMigrations, this.appliedMigrations());
        for (const migration of pending) {
          this.db.exec(migration.sql);
          this.db
            .prepare(
              "INSERT INTO tickflow_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
            )
            .run(migration.version, migration.name, checksumOf(migration), Date.now());
        }
        return {
          applied: pending.map(({ version, name }) => ({ version, name })),
          version: sqliteMigrations.at(-1)?.version ?? 0,
        };
      },
      // planMigrations refuses a too-new schema itself, with the same error.
      { migrating: true },
    );
  }

  async pendingMigrations(): Promise<{ version: number; name: string }[]> {
    const hasLedger = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickflow_migrations'")
      .get();
    const applied = hasLedger ? this.appliedMigrations() : [];
    return planMigrations(sqliteMigrations, applied).map(({ version, name }) => ({ version, name }));
  }

  private ensureLedger(): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS tickflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
  }

  private appliedMigrations(): AppliedMigration[] {
    return this.db
      .prepare("SELECT version, name, checksum FROM tickflow_migrations ORDER BY version")
      .all() as AppliedMigration[];
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void {
    this.hints.on("jobs", listener);
    return () => this.hints.off("jobs", listener);
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  async insertJobs(
    given: readonly JobInsert[],
    now: number,
    options: { leaseTo?: LeaseGrant } = {},
  ): Promise<InsertResult[]> {
    if (given.length === 0) return [];
    const jobs = storableJobs(given);
    const dedupe = `ON CONFLICT (key) WHERE key IS NOT NULL AND ${UNFINISHED} DO NOTHING`;
    const insert = this.stmt(`${INSERT_JOB} ${dedupe}`);
    const existing = this.stmt(`SELECT id FROM jobs WHERE key = ? AND ${UNFINISHED}`);
    const { leaseTo } = options;
    const results = await this.write(() =>
      jobs.map((job): InsertResult => {
        const leased = leaseTo !== undefined && leasableOnInsert(job, now) && this.queueOpen(job.queue);
        const info = leased
          ? this.stmt(`${INSERT_LEASED_JOB} ${dedupe}`).run(...insertLeasedJobValues(job, now, leaseTo))
          : insert.run(...insertJobValues(job, now));
        if (info.changes === 1) {
          const id = String(info.lastInsertRowid);
          return leased
            ? { id, status: "inserted", claimed: claimedOnInsert(id, job, now) }
            : { id, status: "inserted" };
        }
        const row = existing.get(job.key) as { id: number };
        return { id: String(row.id), status: "duplicate" };
      }),
    );
    this.emitHint(jobs.filter((_, i) => results[i]?.claimed === undefined));
    return results;
  }

  /** No monitor holds the queue closed (queue_gates is ~empty: one index probe). */
  private queueOpen(queue: string): boolean {
    return this.stmt("SELECT 1 FROM queue_gates WHERE queue = ? LIMIT 1").get(queue) === undefined;
  }

  private emitHint(jobs: readonly { queue: string; runAt: number }[]): void {
    if (jobs.length === 0 || this.hints.listenerCount("jobs") === 0) return;
    // An empty queue name means "unknown": listeners treat the hint as concerning every queue.
    const queues = jobs.some((j) => j.queue === "") ? [] : [...new Set(jobs.map((j) => j.queue))];
    const earliestRunAt = jobs.reduce((min, j) => Math.min(min, j.runAt), Number.POSITIVE_INFINITY);
    this.hints.emit("jobs", { queues, earliestRunAt } satisfies JobsInsertedHint);
  }

  async claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    const { queues } = request;
    const queueFilter = queues ? `AND queue IN (${queues.map(() => "?").join(", ")})` : "";
    const claim = this.stmt(
      `UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
         lease_owner = ?, lease_expires_at = ?, started_at = ?
       WHERE id IN (
         SELECT id FROM jobs AS j INDEXED BY ${queues ? "jobs_claim" : "jobs_due"}
         WHERE ${PENDING_J} AND run_at <= ? ${queueFilter} AND ${OPEN_QUEUE} AND ${ONE_PER_STATE_KEY}
         ORDER BY priority DESC, run_at, id LIMIT ?)
       RETURNING id, type, queue, payload, attempt, max_attempts, lease_token, timeout_ms, backoff,
         state_key, schedule_id, nominal_at, started_at, priority, run_at`,
    );
    const { workerId, now, leaseMs, limit } = request;
    const rows = await this.write(
      () => claim.all(workerId, now + leaseMs, now, now, ...(queues ?? []), now, limit) as Row[],
    );
    // RETURNING gives no order guarantee; hand jobs out in claim order.
    rows.sort(
      (a, b) =>
        (b.priority as number) - (a.priority as number) ||
        (a.run_at as number) - (b.run_at as number) ||
        (a.id as number) - (b.id as number),
    );
    return rows.map(toClaimedJob);
  }

  async extendLeases(
    workerId: string,
    leases: readonly Lease[],
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    const extend = this.stmt(
      "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND lease_owner = ? AND state = 'running'",
    );
    return this.write(() =>
      leases
        .filter((lease) => extend.run(now + leaseMs, lease.jobId, lease.leaseToken, workerId).changes === 0)
        .map((lease) => lease.jobId),
    );
  }

  async finishAttempts(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    if (finishes.length === 0) return [];
    return finishIsolated(finishes, {
      apply: (batch) => this.applyFinishBatch(batch),
      isValueRefusal: isSqliteValueRefusal,
    });
  }

  /** One finish batch in one transaction (finishIsolated splits it if SQLite refuses a value). */
  private async applyFinishBatch(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    const saveState = this.stmt(
      `INSERT INTO job_state (state_key, state, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (state_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    );
    const tickStarted = this.stmt(
      "UPDATE schedule_ticks SET started_at = ? WHERE schedule_id = ? AND nominal_at = ? AND started_at IS NULL",
    );
    const results: FinishResult[] = [];
    const plain = isPlainSuccessBatch(finishes);
    await this.write(() => {
      for (let offset = 0; offset < finishes.length; offset += FINISH_CHUNK) {
        const chunk = finishes.slice(offset, offset + FINISH_CHUNK);
        const applied = plain ? this.applySuccesses(chunk) : this.applyFinishes(chunk);
        this.insertRuns(chunk, applied, plain);
        for (const f of chunk) {
          const ok = applied.has(f.jobId);
          results.push(ok ? "applied" : "lease_lost");
          if (!ok) continue;
          if (f.state) saveState.run(f.state.key, f.state.json, f.endedAt);
          if (f.tick) tickStarted.run(f.startedAt, f.tick.scheduleId, f.tick.nominalAt);
        }
      }
    });
    const retried = finishes.flatMap((f) =>
      f.next.state === "retry_scheduled" ? [{ queue: "", runAt: f.next.runAt }] : [],
    );
    this.emitHint(retried);
    return results;
  }

  /**
   * One UPDATE … FROM (VALUES …) for a whole batch (fenced per row by lease token): a statement
   * per batch instead of per job is what moves processed throughput from ~9k to ~25k+ jobs/s.
   */
  private applyFinishes(chunk: readonly AttemptFinish[]): Set<string> {
    const update = this.stmt(
      `WITH f (id, token, state, run_at, error, finished_at) AS (VALUES ${rowsOf(chunk.length, 6)})
       UPDATE jobs SET state = f.state, run_at = coalesce(f.run_at, jobs.run_at), lease_owner = NULL,
         lease_expires_at = NULL, last_error = f.error, finished_at = f.finished_at
       FROM f WHERE jobs.id = f.id AND jobs.lease_token = f.token AND jobs.state = 'running'
       RETURNING jobs.id`,
    );
    const params: unknown[] = [];
    for (const f of chunk) {
      const next = f.next;
      params.push(
        Number(f.jobId),
        f.leaseToken,
        next.state,
        next.state === "retry_scheduled" ? next.runAt : null,
        f.error?.message ?? null,
        isFinalState(next.state) ? f.endedAt : null,
      );
    }
    return new Set((update.all(...params) as { id: number }[]).map((r) => String(r.id)));
  }

  /** applyFinishes for a plain success batch (isPlainSuccessBatch): three values a job instead of six. */
  private applySuccesses(chunk: readonly AttemptFinish[]): Set<string> {
    const update = this.stmt(
      `WITH f (id, token, finished_at) AS (VALUES ${rowsOf(chunk.length, 3)})
       UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
         finished_at = f.finished_at
       FROM f WHERE jobs.id = f.id AND jobs.lease_token = f.token AND jobs.state = 'running'
       RETURNING jobs.id`,
    );
    const params: unknown[] = [];
    for (const f of chunk) params.push(Number(f.jobId), f.leaseToken, f.endedAt);
    return new Set((update.all(...params) as { id: number }[]).map((r) => String(r.id)));
  }

  /** A run row per finish; a plain success batch has no error columns to bind. */
  private insertRuns(chunk: readonly AttemptFinish[], applied: Set<string>, plain: boolean): void {
    const columns = plain ? 7 : 9;
    const insert = this.stmt(
      `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome${plain ? "" : ", error_message, error_stack"})
       VALUES ${rowsOf(chunk.length, columns)}`,
    );
    const params: unknown[] = [];
    for (const f of chunk) {
      params.push(
        f.jobId,
        f.attempt,
        f.workerId,
        f.startedAt,
        f.endedAt,
        f.endedAt - f.startedAt,
        applied.has(f.jobId) ? f.outcome : "lease_lost",
      );
      if (!plain) params.push(f.error?.message ?? null, f.error?.stack ?? null);
    }
    insert.run(...params);
  }

  async releaseJobs(workerId: string, leases: readonly Lease[], now: number): Promise<number> {
    if (leases.length === 0) return 0;
    const release = this.stmt(
      `UPDATE jobs SET state = 'available', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND lease_token = ? AND lease_owner = ? AND state = 'running'
       RETURNING attempt + 1 AS attempt, started_at, queue`,
    );
    const insertRun = this.stmt(
      `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome)
       VALUES (?, ?, ?, ?, ?, ?, 'released')`,
    );
    const released: { queue: string; runAt: number }[] = [];
    await this.write(() => {
      for (const lease of leases) {
        const row = release.get(lease.jobId, lease.leaseToken, workerId) as Row | undefined;
        if (!row) continue;
        const startedAt = row.started_at as number;
        insertRun.run(lease.jobId, row.attempt, workerId, startedAt, now, now - startedAt);
        released.push({ queue: row.queue as string, runAt: now });
      }
    });
    this.emitHint(released);
    return released.length;
  }

  async rescueExpiredLeases(now: number): Promise<number> {
    const expired = this.stmt(
      "SELECT id, attempt, max_attempts, lease_owner, started_at, queue FROM jobs WHERE state = 'running' AND lease_expires_at < ?",
    );
    const rescue = this.stmt(
      `UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires_at = NULL, finished_at = ?,
         last_error = 'lease expired: the worker stopped or stalled'
       WHERE id = ? AND state = 'running' AND lease_expires_at < ?`,
    );
    const insertRun = this.stmt(
      `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome, error_message)
       VALUES (?, ?, ?, ?, ?, ?, 'abandoned', 'lease expired: the worker stopped or stalled')`,
    );
    const rescued: { queue: string; runAt: number }[] = [];
    await this.write(() => {
      for (const row of expired.all(now) as Row[]) {
        const spent = (row.attempt as number) >= (row.max_attempts as number);
        rescue.run(spent ? "discarded" : "available", spent ? now : null, row.id, now);
        const startedAt = (row.started_at as number) ?? now;
        insertRun.run(row.id, row.attempt, row.lease_owner ?? "unknown", startedAt, now, now - startedAt);
        if (!spent) rescued.push({ queue: row.queue as string, runAt: now });
      }
    });
    this.emitHint(rescued);
    return rescued.length;
  }

  async nextRunAt(queues: readonly string[] | undefined): Promise<number | null> {
    const filter = queues ? `AND queue IN (${queues.map(() => "?").join(", ")})` : "";
    const row = this.stmt(`SELECT min(run_at) AS at FROM jobs WHERE ${pendingState()} ${filter}`).get(
      ...(queues ?? []),
    ) as { at: number | null };
    return row.at;
  }

  async cancelJob(id: string, now: number): Promise<JobRow> {
    return this.write(() => {
      const job = this.requireJob(id);
      if (isFinalState(job.state)) return job;
      this.stmt(
        `UPDATE jobs SET state = 'cancelled', finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           lease_token = lease_token + 1 WHERE id = ?`,
      ).run(now, id);
      return this.requireJob(id);
    });
  }

  async retryJob(id: string, now: number): Promise<JobRow> {
    return this.write(() => {
      const job = this.requireJob(id);
      const retryable: JobState[] = ["discarded", "cancelled", "retry_scheduled", "scheduled"];
      if (!retryable.includes(job.state)) return job;
      this.stmt(
        `UPDATE jobs SET state = 'available', run_at = ?, finished_at = NULL,
           max_attempts = max(max_attempts, attempt + 1) WHERE id = ?`,
      ).run(now, id);
      this.emitHint([{ queue: job.queue, runAt: now }]);
      return this.requireJob(id);
    });
  }

  private requireJob(id: string): JobRow {
    const row = this.stmt("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    if (!row) throw new NotFoundError(`job ${id}`);
    return toJobRow(row);
  }

  async getJob(id: string): Promise<JobRow | null> {
    const row = this.stmt("SELECT * FROM jobs WHERE id = ?").get(id) as Row | undefined;
    return row ? toJobRow(row) : null;
  }

  async listJobRuns(jobId: string): Promise<JobRunRow[]> {
    return (this.stmt("SELECT * FROM job_runs WHERE job_id = ? ORDER BY id").all(jobId) as Row[]).map(
      toJobRunRow,
    );
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => "?").join(", ")})`);
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
    return (this.db.prepare(sql).all(...params, filter.limit ?? 100) as Row[]).map(toJobRow);
  }

  async countJobs(now: number): Promise<QueueCount[]> {
    const rows = this.stmt(
      `SELECT queue, CASE WHEN ${pendingState()} AND run_at <= ? THEN 'available' ELSE state END AS st,
         count(*) AS n, min(CASE WHEN ${pendingState()} AND run_at <= ? THEN run_at END) AS oldest
       FROM jobs GROUP BY queue, st ORDER BY queue, st`,
    ).all(now, now) as Row[];
    return rows.map((r) => ({
      queue: r.queue as string,
      state: r.st as JobState,
      count: r.n as number,
      oldestRunAt: (r.oldest as number | null) ?? null,
    }));
  }

  async pruneFinishedJobs(olderThan: number): Promise<number> {
    return this.write(() => {
      this.stmt(
        "DELETE FROM job_runs WHERE job_id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?)",
      ).run(olderThan);
      return this.stmt("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?").run(olderThan)
        .changes;
    });
  }

  async loadJobState(stateKey: string): Promise<unknown> {
    const row = this.stmt("SELECT state FROM job_state WHERE state_key = ?").get(stateKey) as
      | { state: string }
      | undefined;
    return row ? JSON.parse(row.state) : undefined;
  }

  // ── schedules (sqlite-schedules.ts) ───────────────────────────────────────

  syncSchedules(defs: readonly ScheduleDefinitionRow[], now: number): Promise<SyncReport> {
    return this.schedules.syncSchedules(defs, now);
  }

  fireDueSchedules(request: FireRequest): Promise<FiredTick[]> {
    return this.schedules.fireDueSchedules(request);
  }

  nextScheduleFireAt(): Promise<number | null> {
    return this.schedules.nextScheduleFireAt();
  }

  setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow> {
    return this.schedules.setSchedulePaused(id, paused, now);
  }

  getSchedule(id: string): Promise<ScheduleRow | null> {
    return this.schedules.getSchedule(id);
  }

  listSchedules(): Promise<ScheduleRow[]> {
    return this.schedules.listSchedules();
  }

  listTicks(scheduleId: string, options?: { limit?: number; since?: number }): Promise<TickRow[]> {
    return this.schedules.listTicks(scheduleId, options);
  }
}
