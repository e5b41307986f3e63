import pg from "pg";
import { isFinalState, type JobState } from "../../core/job-state.ts";
import { ConfigError, InvalidOptionError, NotFoundError, TickflowError } from "../../errors.ts";
import { isPlainSuccessBatch } from "../finish-batch.ts";
import { claimedOnInsert, leasableOnInsert } from "../insert-lease.ts";
import { type AppliedMigration, checksumOf, planMigrations } from "../migrator.ts";
import type { MonitorStore } from "../monitor-store.ts";
import { type DbRow, toClaimedJob, toJobRow, toJobRunRow } from "../rows.ts";
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
import { PostgresConnections } from "./postgres-connections.ts";
import { PostgresFlowStore } from "./postgres-flow-store.ts";
import { PostgresHints } from "./postgres-hints.ts";
import { PostgresHistory } from "./postgres-history.ts";
import { postgresMigrations } from "./postgres-migrations.ts";
import { PostgresMonitorStore } from "./postgres-monitor-store.ts";
import * as sql from "./postgres-queries.ts";
import { isPostgresValueRefusal } from "./postgres-refusal.ts";
import { PostgresSchedules } from "./postgres-schedules.ts";

export interface PostgresStoreOptions {
  /** The schema holding tickflow's tables (default `tickflow`): lowercase letters, digits, `_`. */
  schema?: string;
  /** Pool connections (default 10), plus one for LISTEN once someone subscribes to hints. */
  poolSize?: number;
  /** `application_name` shown in pg_stat_activity (default `tickflow`). */
  applicationName?: string;
  /** Connection problems the store recovered from or surfaced (dropped backends, listener loss). */
  onError?: (error: Error, where: string) => void;
}

/** Anything with pg's `query(text, values)`: a pg.Client or PoolClient inside the caller's transaction. */
interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: DbRow[] }>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const JOB_ID = /^[0-9]{1,18}$/;

/**
 * The PostgreSQL adapter on a pg.Pool: claims with FOR UPDATE SKIP LOCKED, batches as arrays in
 * one statement each, NOTIFY inside the writing transaction and one LISTEN connection for hints.
 */
export class PostgresStore implements Store {
  readonly dialect = "postgres" as const;
  readonly capabilities = { skipLocked: true, pushNotify: true, transactionalEnqueue: true };
  readonly schema: string;
  /** Pooled connections at most (the LISTEN connection is extra). */
  readonly poolSize: number;
  readonly monitors: MonitorStore;
  readonly flows: PostgresFlowStore;
  readonly history: PostgresHistory;
  private readonly schedules: PostgresSchedules;
  private readonly db: PostgresConnections;
  private readonly hints: PostgresHints;
  private readonly ownInserts = sql.jobInsertStatements("");
  private readonly callerInserts: ReturnType<typeof sql.jobInsertStatements>;
  private closing: Promise<void> | undefined;
  private readonly schemaGuard = new SchemaGuard(postgresMigrations.at(-1)?.version ?? 0);
  private schemaCheck: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const schema = options.schema ?? "tickflow";
    if (!SCHEMA_NAME.test(schema)) {
      throw new ConfigError([`schema: "${schema}" must be lowercase letters, digits and _ (at most 63)`]);
    }
    this.schema = schema;
    this.poolSize = options.poolSize ?? 10;
    const onError = options.onError ?? (() => undefined);
    this.db = new PostgresConnections(url, {
      schema,
      poolSize: this.poolSize,
      applicationName: options.applicationName ?? "tickflow",
      onError,
      beforeWrite: () => (this.schemaGuard.due() ? this.checkSchema() : undefined),
    });
    this.hints = new PostgresHints({ schema, connection: this.db.config, write: this.db.write, onError });
    this.callerInserts = sql.jobInsertStatements(`${pg.escapeIdentifier(schema)}.`);
    const { transaction, read, write } = this.db;
    const { notify, notifyLocal } = this.hints;
    this.monitors = new PostgresMonitorStore({ transaction, read, notify, notifyLocal });
    this.flows = new PostgresFlowStore({
      transaction,
      read,
      insertJobs: (jobs, now, client) => this.insertJobs(jobs, now, { client }),
    });
    this.history = new PostgresHistory({ transaction, read });
    this.schedules = new PostgresSchedules({ schema, transaction, read, write, notify, notifyLocal });
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** One ledger read for every write waiting on it (SchemaGuard). */
  private checkSchema(): Promise<void> {
    this.schemaCheck ??= (async () => {
      try {
        const ledger = `${pg.escapeIdentifier(this.schema)}.tickflow_migrations`;
        const [row] = await this.db.read(sql.LEDGER_EXISTS, [ledger]);
        const latest = row?.present ? await this.db.read(sql.LATEST_LEDGER_VERSION) : [];
        const version = latest[0]?.v;
        this.schemaGuard.record(version === null || version === undefined ? null : Number(version));
      } finally {
        this.schemaCheck = undefined;
      }
    })();
    return this.schemaCheck;
  }

  async migrate(): Promise<MigrationReport> {
    const schema = pg.escapeIdentifier(this.schema);
    return this.db.transaction(async (c) => {
      await c.query(sql.MIGRATION_LOCK, [this.schema]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when the schema exists.
      const exists = await c.query(sql.SCHEMA_EXISTS, [this.schema]);
      if (exists.rowCount === 0) await c.query(sql.createSchema(schema));
      await c.query(sql.setLocalSearchPath(schema));
      await c.query(sql.CREATE_LEDGER);
      const applied = (await c.query(sql.SELECT_LEDGER)).rows as AppliedMigration[];
      const pending = planMigrations(postgresMigrations, applied);
      for (const migration of pending) {
        await c.query(migration.sql);
        await c.query(sql.INSERT_LEDGER, [
          migration.version,
          migration.name,
          checksumOf(migration),
          Date.now(),
        ]);
      }
      return {
        applied: pending.map(({ version, name }) => ({ version, name })),
        version: postgresMigrations.at(-1)?.version ?? 0,
      };
    });
  }

  async pendingMigrations(): Promise<{ version: number; name: string }[]> {
    const ledger = `${pg.escapeIdentifier(this.schema)}.tickflow_migrations`;
    const [row] = await this.db.read(sql.LEDGER_EXISTS, [ledger]);
    const applied = row?.present
      ? ((await this.db.read(sql.SELECT_LEDGER)) as unknown as AppliedMigration[])
      : [];
    return planMigrations(postgresMigrations, applied).map(({ version, name }) => ({ version, name }));
  }

  close(): Promise<void> {
    this.closing ??= this.hints.close().then(() => this.db.end());
    return this.closing;
  }

  async databaseNow(): Promise<number> {
    const [row] = await this.db.read(sql.DATABASE_NOW);
    return Number(row?.now);
  }

  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void {
    return this.hints.subscribe(listener);
  }

  // ── jobs ──────────────────────────────────────────────────────────────────

  async insertJobs(
    given: readonly JobInsert[],
    now: number,
    options: { client?: unknown; leaseTo?: LeaseGrant } = {},
  ): Promise<InsertResult[]> {
    if (given.length === 0) return [];
    const jobs = storableJobs(given);
    const { client, leaseTo } = options;
    if (client !== undefined && !isQueryable(client)) {
      throw new InvalidOptionError(
        "insertJobs: client must be a pg Client or PoolClient inside an open transaction",
      );
    }
    if (client !== undefined && leaseTo !== undefined) {
      throw new InvalidOptionError("insertJobs: leaseTo cannot join a caller's transaction (client)");
    }
    const statements = client ? this.callerInserts : this.ownInserts;
    const hint = this.hints.payload(jobs, client !== undefined);
    const values: unknown[] = [
      jobs.map((j) => j.type),
      jobs.map((j) => j.queue),
      jobs.map((j) => j.payload),
      jobs.map((j) => (j.runAt > now ? "scheduled" : "available")),
      jobs.map((j) => j.priority),
      jobs.map((j) => j.maxAttempts),
      jobs.map((j) => j.runAt),
      jobs.map((j) => j.key),
      jobs.map((j) => j.timeoutMs),
      jobs.map((j) => j.backoff),
      jobs.map((j) => j.stateKey),
      now,
      hint,
    ];
    if (leaseTo)
      values.push(
        jobs.map((j) => leasableOnInsert(j, now)),
        leaseTo.workerId,
        now + leaseTo.leaseMs,
      );
    const query = (text: string, params: unknown[], name?: string) =>
      client ? client.query(text, params).then((r) => r.rows) : this.db.write(text, params, name);
    const insert = statements.insert({
      keyed: jobs.some((j) => j.key !== null),
      leasing: leaseTo !== undefined,
    });
    const rows = await query(insert.text, values, insert.name);
    const duplicateKeys = [
      ...new Set(rows.filter((r) => r.inserted_id === null).map((r) => r.key as string)),
    ];
    const existing = new Map<string, string>();
    if (duplicateKeys.length > 0) {
      for (const r of await query(statements.existingByKey, [duplicateKeys]))
        existing.set(r.key as string, String(r.id));
    }
    const results = rows.map((r, i): InsertResult => {
      if (r.inserted_id !== null) {
        const id = String(r.inserted_id);
        return r.leased === true
          ? { id, status: "inserted", claimed: claimedOnInsert(id, jobs[i] as JobInsert, now) }
          : { id, status: "inserted" };
      }
      const id = existing.get(r.key as string);
      // Only if the blocking job was deleted between the two statements (pruned within milliseconds).
      if (!id)
        throw new TickflowError("INSERT_RACE", `job key "${r.key}" changed during insert; enqueue it again`);
      return { id, status: "duplicate" };
    });
    if (!client) this.hints.notifyLocal(jobs.filter((_, i) => results[i]?.claimed === undefined));
    return results;
  }

  async claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    const { workerId, queues, limit, leaseMs, now } = request;
    if (limit <= 0 || queues?.length === 0) return [];
    const rows = queues
      ? await this.db.claimWrite(
          sql.CLAIM_JOBS_IN_QUEUES,
          [now, limit, workerId, now + leaseMs, [...new Set(queues)]],
          "tickflow_claim_q",
        )
      : await this.db.claimWrite(sql.CLAIM_JOBS, [now, limit, workerId, now + leaseMs], "tickflow_claim");
    // RETURNING gives no order guarantee; hand jobs out in claim order.
    rows.sort(
      (a, b) =>
        Number(b.priority) - Number(a.priority) ||
        Number(a.run_at) - Number(b.run_at) ||
        compareIds(a.id, b.id),
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
    const kept = await this.db.loopWrite(
      sql.EXTEND_LEASES,
      [now + leaseMs, leases.map((l) => l.jobId), leases.map((l) => l.leaseToken), workerId],
      "tickflow_extend_leases",
    );
    const held = new Set(kept.map((r) => String(r.id)));
    return leases.filter((l) => !held.has(l.jobId)).map((l) => l.jobId);
  }

  async finishAttempts(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    if (finishes.length === 0) return [];
    return finishIsolated(finishes, {
      apply: (batch) => this.applyFinishBatch(batch),
      isValueRefusal: isPostgresValueRefusal,
    });
  }

  /** One finish batch in one statement (finishIsolated splits it if PostgreSQL refuses a value). */
  private async applyFinishBatch(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    const column = <T>(pick: (f: AttemptFinish) => T) => finishes.map(pick);
    if (isPlainSuccessBatch(finishes)) {
      const rows = await this.db.loopWrite(
        sql.FINISH_SUCCEEDED,
        [
          column((f) => f.jobId),
          column((f) => f.leaseToken),
          column((f) => f.attempt),
          column((f) => f.startedAt),
          column((f) => f.endedAt),
          finishes[0]?.workerId,
        ],
        "tickflow_finish_succeeded",
      );
      const applied = new Set(rows.map((r) => Number(r.ord) - 1));
      return finishes.map((_, i) => (applied.has(i) ? "applied" : "lease_lost"));
    }
    const rows = await this.db.loopWrite(
      sql.FINISH_ATTEMPTS,
      [
        column((f) => f.jobId),
        column((f) => f.leaseToken),
        column((f) => f.next.state),
        column((f) => (f.next.state === "retry_scheduled" ? f.next.runAt : null)),
        column((f) => f.error?.message ?? null),
        column((f) => (isFinalState(f.next.state) ? f.endedAt : null)),
        column((f) => f.attempt),
        column((f) => f.workerId),
        column((f) => f.startedAt),
        column((f) => f.endedAt),
        column((f) => f.outcome),
        column((f) => f.error?.stack ?? null),
        column((f) => f.state?.key ?? null),
        column((f) => f.state?.json ?? null),
        column((f) => f.tick?.scheduleId ?? null),
        column((f) => f.tick?.nominalAt ?? null),
      ],
      "tickflow_finish_attempts",
    );
    // ord is 1-based (WITH ORDINALITY).
    const appliedQueues = new Map(rows.map((r) => [Number(r.ord) - 1, r.queue as string]));
    const retried: { queue: string; runAt: number }[] = [];
    finishes.forEach((f, i) => {
      const queue = appliedQueues.get(i);
      if (queue !== undefined && f.next.state === "retry_scheduled")
        retried.push({ queue, runAt: f.next.runAt });
    });
    await this.hints.notifyAfterCommit(retried);
    return finishes.map((_, i) => (appliedQueues.has(i) ? "applied" : "lease_lost"));
  }

  async releaseJobs(workerId: string, leases: readonly Lease[], now: number): Promise<number> {
    if (leases.length === 0) return 0;
    const rows = await this.db.loopWrite(
      sql.RELEASE_JOBS,
      [now, leases.map((l) => l.jobId), leases.map((l) => l.leaseToken), workerId],
      "tickflow_release_jobs",
    );
    await this.hints.notifyAfterCommit(rows.map((r) => ({ queue: r.queue as string, runAt: now })));
    return rows.length;
  }

  async rescueExpiredLeases(now: number): Promise<number> {
    const rescued = await this.db.transaction(async (c) => {
      const expired = (await c.query(sql.SELECT_EXPIRED_LEASES, [now])).rows;
      if (expired.length === 0) return [];
      const spent = expired.map((r) => Number(r.attempt) >= Number(r.max_attempts));
      await c.query(sql.RESCUE_JOBS, [
        expired.map((r) => r.id),
        spent.map((s) => (s ? "discarded" : "available")),
        spent.map((s) => (s ? now : null)),
        expired.map((r) => r.attempt),
        expired.map((r) => r.lease_owner ?? "unknown"),
        expired.map((r) => r.started_at ?? now),
        now,
        sql.LEASE_EXPIRED_MESSAGE,
      ]);
      const back = expired.filter((_, i) => !spent[i]).map((r) => ({ queue: r.queue as string, runAt: now }));
      await this.hints.notify(c, back);
      return back;
    });
    this.hints.notifyLocal(rescued);
    return rescued.length;
  }

  async nextRunAt(queues: readonly string[] | undefined): Promise<number | null> {
    if (queues?.length === 0) return null;
    const [row] = queues
      ? await this.db.read(sql.NEXT_RUN_AT_IN_QUEUES, [queues])
      : await this.db.read(sql.NEXT_RUN_AT);
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  async cancelJob(id: string, now: number): Promise<JobRow> {
    return this.db.transaction(async (c) => {
      const job = await this.lockJob(c, id);
      if (isFinalState(job.state)) return job;
      return toJobRow((await c.query(sql.CANCEL_JOB, [id, now])).rows[0] as DbRow);
    });
  }

  async retryJob(id: string, now: number): Promise<JobRow> {
    const { row, requeued } = await this.db.transaction(async (c) => {
      const job = await this.lockJob(c, id);
      const retryable: JobState[] = ["discarded", "cancelled", "retry_scheduled", "scheduled"];
      if (!retryable.includes(job.state)) return { row: job, requeued: [] };
      const updated = toJobRow((await c.query(sql.RETRY_JOB, [id, now])).rows[0] as DbRow);
      const requeued = [{ queue: updated.queue, runAt: now }];
      await this.hints.notify(c, requeued);
      return { row: updated, requeued };
    });
    this.hints.notifyLocal(requeued);
    return row;
  }

  private async lockJob(c: pg.PoolClient, id: string): Promise<JobRow> {
    const row = JOB_ID.test(id) ? (await c.query(sql.SELECT_JOB_FOR_UPDATE, [id])).rows[0] : undefined;
    if (!row) throw new NotFoundError(`job ${id}`);
    return toJobRow(row);
  }

  async getJob(id: string): Promise<JobRow | null> {
    if (!JOB_ID.test(id)) return null;
    const [row] = await this.db.read(sql.SELECT_JOB, [id]);
    return row ? toJobRow(row) : null;
  }

  async listJobRuns(jobId: string): Promise<JobRunRow[]> {
    if (!JOB_ID.test(jobId)) return [];
    return (await this.db.read(sql.LIST_JOB_RUNS, [jobId])).map(toJobRunRow);
  }

  async listJobs(filter: JobFilter): Promise<JobRow[]> {
    const { text, values } = sql.listJobsQuery(filter);
    return (await this.db.read(text, values)).map(toJobRow);
  }

  async countJobs(now: number): Promise<QueueCount[]> {
    return (await this.db.read(sql.COUNT_JOBS, [now])).map((r) => ({
      queue: r.queue as string,
      state: r.st as JobState,
      count: Number(r.n),
      oldestRunAt: r.oldest === null ? null : Number(r.oldest),
    }));
  }

  async pruneFinishedJobs(olderThan: number): Promise<number> {
    const [row] = await this.db.write(sql.PRUNE_FINISHED_JOBS, [olderThan]);
    return Number(row?.n ?? 0);
  }

  async loadJobState(stateKey: string): Promise<unknown> {
    const [row] = await this.db.read(sql.LOAD_JOB_STATE, [stateKey]);
    return row ? JSON.parse(row.state as string) : undefined;
  }

  // ── schedules (postgres-schedules.ts) ─────────────────────────────────────

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

function isQueryable(value: unknown): value is Queryable {
  return typeof (value as { query?: unknown } | null)?.query === "function";
}

/** Bigint ids as decimal strings: shorter is smaller, then compare digit by digit. */
function compareIds(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}
