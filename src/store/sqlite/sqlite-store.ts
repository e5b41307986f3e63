import { EventEmitter } from "node:events";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { shippedMigrations } from "../migrations.ts";
import { type AppliedMigration, checksumOf, type Migration, planMigrations } from "../shared/migrator.ts";
import { SchemaGuard } from "../shared/schema-guard.ts";
import type { JobsInsertedHint, MigrationReport, Store } from "../store.ts";
import { SqliteAlerts } from "./sqlite-alerts.ts";
import { SqliteChecks } from "./sqlite-checks.ts";
import type { SqliteDeps } from "./sqlite-deps.ts";
import { SqliteFlows } from "./sqlite-flows.ts";
import { SqliteHistory } from "./sqlite-history.ts";
import { SqliteJobs } from "./sqlite-jobs.ts";
import { SqliteMonitors } from "./sqlite-monitors.ts";
import { SqliteReads } from "./sqlite-reads.ts";
import { SqliteSchedules } from "./sqlite-schedules.ts";
import { type SqliteWake, type WakeWarning, wakeFor } from "./sqlite-wake.ts";

const SQLITE_MIGRATIONS = shippedMigrations("sqlite");

// ── statements (the migration ledger) ───────────────────────────────────────

const HAS_LEDGER = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickflow_migrations'";
const CREATE_LEDGER =
  "CREATE TABLE IF NOT EXISTS tickflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)";
const SELECT_LEDGER = "SELECT version, name, checksum FROM tickflow_migrations ORDER BY version";
const INSERT_LEDGER =
  "INSERT INTO tickflow_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)";
const LATEST_LEDGER_VERSION = "SELECT max(version) AS v FROM tickflow_migrations";

/**
 * Insert hints for every store open on the same file in this process. Other processes on the
 * file hear them through its wake sockets (sqlite-wake.ts), a hint beside their polls.
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

export interface SqliteStoreOptions {
  /**
   * busy_timeout in ms (default 20): how long a writer busy-waits, blocking the event loop, for
   * another process's lock before each asynchronous retry.
   */
  busyTimeoutMs?: number;
  /** Problems the store waited out or surfaced: a write lock held by another process too long. */
  onError?: (error: Error, where: string) => void;
  /** Said once when other processes cannot wake this one (its workers then poll). */
  onWarning?: WakeWarning;
}

/** The SQLite adapter: better-sqlite3, WAL, BEGIN IMMEDIATE for every write transaction. */
export class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly capabilities = { skipLocked: false, pushNotify: true, transactionalEnqueue: false };
  readonly file: string;
  private readonly db: Database.Database;
  private readonly hints: EventEmitter;
  /** Hints to and from other processes on the file; none for :memory:. */
  private readonly wake: SqliteWake | undefined;
  private readonly onWarning: WakeWarning | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  readonly jobs: SqliteJobs;
  readonly schedules: SqliteSchedules;
  readonly flows: SqliteFlows;
  readonly monitors: SqliteMonitors;
  readonly alerts: SqliteAlerts;
  readonly checks: SqliteChecks;
  readonly history: SqliteHistory;
  readonly queries: SqliteReads;
  private readonly onError: (error: Error, where: string) => void;
  private readonly schema = new SchemaGuard(SQLITE_MIGRATIONS.at(-1)?.version ?? 0);

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
    const hints = this.hints;
    this.wake = this.file === ":memory:" ? undefined : wakeFor(this.file, (hint) => hints.emit("jobs", hint));
    this.onWarning = options.onWarning;
    const deps: SqliteDeps = {
      stmt: (sql) => this.stmt(sql),
      write: (fn) => this.write(fn),
      hint: (jobs) => this.emitHint(jobs),
    };
    this.jobs = new SqliteJobs(deps);
    this.schedules = new SqliteSchedules(deps);
    this.flows = new SqliteFlows(deps);
    this.monitors = new SqliteMonitors(deps);
    this.alerts = new SqliteAlerts(deps);
    this.checks = new SqliteChecks(deps);
    this.history = new SqliteHistory(deps);
    this.queries = new SqliteReads(deps);
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
    if (!this.stmt(HAS_LEDGER).get()) return null;
    const row = this.db.prepare(LATEST_LEDGER_VERSION).get() as { v: number | null };
    return row.v;
  }

  async migrate(): Promise<MigrationReport> {
    return this.write(
      () => {
        this.ensureLedger();
        const pending = planMigrations(SQLITE_MIGRATIONS, this.appliedMigrations());
        for (const migration of pending) {
          this.db.exec(migration.sql);
          this.db
            .prepare(INSERT_LEDGER)
            .run(migration.version, migration.name, checksumOf(migration), Date.now());
        }
        return {
          applied: pending.map(({ version, name }) => ({ version, name })),
          version: SQLITE_MIGRATIONS.at(-1)?.version ?? 0,
        };
      },
      // planMigrations refuses a too-new schema itself, with the same error.
      { migrating: true },
    );
  }

  async pendingMigrations(): Promise<{ version: number; name: string }[]> {
    const hasLedger = this.db.prepare(HAS_LEDGER).get();
    const applied = hasLedger ? this.appliedMigrations() : [];
    return planMigrations(SQLITE_MIGRATIONS, applied).map(({ version, name }) => ({ version, name }));
  }

  private ensureLedger(): void {
    this.db.exec(CREATE_LEDGER);
  }

  private appliedMigrations(): AppliedMigration[] {
    return this.db.prepare(SELECT_LEDGER).all() as AppliedMigration[];
  }

  knownMigrations(): readonly Migration[] {
    return SQLITE_MIGRATIONS;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void {
    this.hints.on("jobs", listener);
    const release = this.wake?.retain(this.onWarning);
    return () => {
      this.hints.off("jobs", listener);
      release?.();
    };
  }

  private emitHint(jobs: readonly { queue: string; runAt: number }[]): void {
    if (jobs.length === 0) return;
    // An empty queue name means "unknown": listeners treat the hint as concerning every queue.
    const queues = jobs.some((j) => j.queue === "") ? [] : [...new Set(jobs.map((j) => j.queue))];
    const earliestRunAt = jobs.reduce((min, j) => Math.min(min, j.runAt), Number.POSITIVE_INFINITY);
    const hint: JobsInsertedHint = { queues, earliestRunAt };
    if (this.hints.listenerCount("jobs") > 0) this.hints.emit("jobs", hint);
    this.wake?.publish(hint);
  }
}
