import pg from "pg";
import { ConfigError } from "../../errors.ts";
import { shippedMigrations } from "../migrations.ts";
import { type AppliedMigration, checksumOf, type Migration, planMigrations } from "../shared/migrator.ts";
import { SchemaGuard } from "../shared/schema-guard.ts";
import type { JobsInsertedHint, MigrationReport, Store } from "../store.ts";
import { PostgresAlerts } from "./postgres-alerts.ts";
import { PostgresChecks } from "./postgres-checks.ts";
import { PostgresConnections } from "./postgres-connections.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { PostgresFlows } from "./postgres-flows.ts";
import { PostgresHints } from "./postgres-hints.ts";
import { PostgresHistory } from "./postgres-history.ts";
import { PostgresJobs } from "./postgres-jobs.ts";
import { PostgresMonitors } from "./postgres-monitors.ts";
import { PostgresReads } from "./postgres-reads.ts";
import { PostgresSchedules } from "./postgres-schedules.ts";

const POSTGRES_MIGRATIONS = shippedMigrations("postgres");

// ── statements (the migration ledger and the clock) ─────────────────────────

/** Serializes migrate() across processes: (class, schema) so different schemas do not wait on each other. */
const MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(7412001, hashtext($1))";

const SCHEMA_EXISTS = "SELECT 1 FROM pg_namespace WHERE nspname = $1";

/** `schema` is a quoted identifier (pg.escapeIdentifier); DDL takes no parameters. */
const createSchema = (schema: string) => `CREATE SCHEMA ${schema}`;

/** The migration's own search_path: its text names no schema, so one checksum fits every schema. */
const setLocalSearchPath = (schema: string) => `SET LOCAL search_path TO ${schema}`;

const LEDGER_EXISTS = "SELECT to_regclass($1) IS NOT NULL AS present";

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS tickflow_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at bigint NOT NULL)`;

const SELECT_LEDGER = "SELECT version, name, checksum FROM tickflow_migrations ORDER BY version";
const LATEST_LEDGER_VERSION = "SELECT max(version) AS v FROM tickflow_migrations";

const INSERT_LEDGER =
  "INSERT INTO tickflow_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)";

/** The server's clock in epoch ms (µs precision); clock_timestamp, not now(): now() is the transaction's start. */
const DATABASE_NOW = "SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now";

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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The PostgreSQL adapter on a pg.Pool: its lifecycle (migrations, clock, close) here, one file per
 * aggregate (postgres-jobs, -schedules, -flows, -monitors, -reads), NOTIFY inside the writing
 * transaction and one LISTEN connection for hints.
 */
export class PostgresStore implements Store {
  readonly dialect = "postgres" as const;
  readonly capabilities = { skipLocked: true, pushNotify: true, transactionalEnqueue: true };
  readonly schema: string;
  /** Pooled connections at most (the LISTEN connection is extra). */
  readonly poolSize: number;
  readonly jobs: PostgresJobs;
  readonly schedules: PostgresSchedules;
  readonly flows: PostgresFlows;
  readonly monitors: PostgresMonitors;
  readonly alerts: PostgresAlerts;
  readonly checks: PostgresChecks;
  readonly history: PostgresHistory;
  readonly queries: PostgresReads;
  private readonly db: PostgresConnections;
  private readonly hints: PostgresHints;
  private closing: Promise<void> | undefined;
  private readonly schemaGuard = new SchemaGuard(POSTGRES_MIGRATIONS.at(-1)?.version ?? 0);
  private schemaCheck: Promise<void> | undefined;

  /** `connection`: a `postgres://` URL, or an application pool's connection settings (`pool.options`). */
  constructor(connection: string | pg.PoolConfig, options: PostgresStoreOptions = {}) {
    const schema = options.schema ?? "tickflow";
    if (!SCHEMA_NAME.test(schema)) {
      throw new ConfigError([`schema: "${schema}" must be lowercase letters, digits and _ (at most 63)`]);
    }
    this.schema = schema;
    this.poolSize = options.poolSize ?? 10;
    const onError = options.onError ?? (() => undefined);
    this.db = new PostgresConnections(connection, {
      schema,
      poolSize: this.poolSize,
      applicationName: options.applicationName ?? "tickflow",
      onError,
      beforeWrite: () => (this.schemaGuard.due() ? this.checkSchema() : undefined),
    });
    this.hints = new PostgresHints({ schema, connection: this.db.config, write: this.db.write, onError });
    const { transaction, read, write } = this.db;
    const { notify, notifyLocal } = this.hints;
    const deps: PostgresDeps = { schema, transaction, read, write, notify, notifyLocal };
    this.jobs = new PostgresJobs(this.db, this.hints, pg.escapeIdentifier(schema));
    this.schedules = new PostgresSchedules(deps);
    this.flows = new PostgresFlows(deps, this.jobs);
    this.monitors = new PostgresMonitors(deps);
    this.alerts = new PostgresAlerts(deps);
    this.checks = new PostgresChecks(deps);
    this.history = new PostgresHistory(deps);
    this.queries = new PostgresReads(deps);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  /** One ledger read for every write waiting on it (SchemaGuard). */
  private checkSchema(): Promise<void> {
    this.schemaCheck ??= (async () => {
      try {
        const ledger = `${pg.escapeIdentifier(this.schema)}.tickflow_migrations`;
        const [row] = await this.db.read(LEDGER_EXISTS, [ledger]);
        const latest = row?.present ? await this.db.read(LATEST_LEDGER_VERSION) : [];
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
      await c.query(MIGRATION_LOCK, [this.schema]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when the schema exists.
      const exists = await c.query(SCHEMA_EXISTS, [this.schema]);
      if (exists.rowCount === 0) await c.query(createSchema(schema));
      await c.query(setLocalSearchPath(schema));
      await c.query(CREATE_LEDGER);
      const applied = (await c.query(SELECT_LEDGER)).rows as AppliedMigration[];
      const pending = planMigrations(POSTGRES_MIGRATIONS, applied);
      for (const migration of pending) {
        await c.query(migration.sql);
        await c.query(INSERT_LEDGER, [migration.version, migration.name, checksumOf(migration), Date.now()]);
      }
      return {
        applied: pending.map(({ version, name }) => ({ version, name })),
        version: POSTGRES_MIGRATIONS.at(-1)?.version ?? 0,
      };
    });
  }

  async pendingMigrations(): Promise<{ version: number; name: string }[]> {
    const ledger = `${pg.escapeIdentifier(this.schema)}.tickflow_migrations`;
    const [row] = await this.db.read(LEDGER_EXISTS, [ledger]);
    const applied = row?.present
      ? ((await this.db.read(SELECT_LEDGER)) as unknown as AppliedMigration[])
      : [];
    return planMigrations(POSTGRES_MIGRATIONS, applied).map(({ version, name }) => ({ version, name }));
  }

  knownMigrations(): readonly Migration[] {
    return POSTGRES_MIGRATIONS;
  }

  close(): Promise<void> {
    this.closing ??= this.hints.close().then(() => this.db.end());
    return this.closing;
  }

  async databaseNow(): Promise<number> {
    const [row] = await this.db.read(DATABASE_NOW);
    return Number(row?.now);
  }

  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void {
    return this.hints.subscribe(listener);
  }
}
