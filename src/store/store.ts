import type { AlertStore } from "./ports/alerts.ts";
import type { CheckStore } from "./ports/checks.ts";
import type { FlowStore } from "./ports/flow-store.ts";
import type { HistoryStore } from "./ports/history-store.ts";
import type { JobStore } from "./ports/job-store.ts";
import type { MonitorStore } from "./ports/monitor-store.ts";
import type { ScheduleStore } from "./ports/schedule-store.ts";
import type { StoreQueries } from "./ports/store-queries.ts";
import type { Migration } from "./shared/migrator.ts";

/**
 * The store: its lifecycle here, and one port per aggregate — the write verbs of `jobs`,
 * `schedules`, `flows` and `monitors` (ports/*-store.ts) and every read on `queries`
 * (ports/store-queries.ts). Every adapter (SQLite, PostgreSQL) passes the same contract suites
 * (test/contract/). All times are epoch milliseconds; every method that compares times takes
 * `now` from the caller's Clock, so tests need no timer mocking and both dialects agree. Ids are
 * strings (bigint-safe).
 */
export interface Store {
  readonly dialect: "sqlite" | "postgres";
  readonly capabilities: StoreCapabilities;
  /** The job queue's writes (spec §1, §3): ports/job-store.ts. */
  readonly jobs: JobStore;
  /** Schedules and their ticks (spec §2): ports/schedule-store.ts. */
  readonly schedules: ScheduleStore;
  /** Data flows and their runs (spec §6): ports/flow-store.ts. */
  readonly flows: FlowStore;
  /** Liveness monitors and queue gates (spec §5): ports/monitor-store.ts. */
  readonly monitors: MonitorStore;
  /** Alert tracks, incidents, deliveries and silences (spec §12): ports/alerts.ts. */
  readonly alerts: AlertStore;
  /** Check-ins and their pings (spec §12): ports/checks.ts. */
  readonly checks: CheckStore;
  /** Rollups and retention of ticks (spec §11): ports/history-store.ts. */
  readonly history: HistoryStore;
  /** Every read: the only part of the store surfaces see. */
  readonly queries: StoreQueries;

  /** Applies pending migrations. Idempotent; safe when several processes start at once. */
  migrate(): Promise<MigrationReport>;
  /** Migrations the code knows that the database has not applied yet (for `migrate --dry-run`). */
  pendingMigrations(): Promise<{ version: number; name: string }[]>;
  /** Every migration this adapter ships, in order (for `status` and `init --sql`). */
  knownMigrations(): readonly Migration[];
  close(): Promise<void>;
  /**
   * The database server's clock (epoch ms), for stores shared by several machines: the composition
   * root follows it (runtime/database-clock) so every process passes the same `now`. Absent where
   * one machine's clock is the only one (SQLite).
   */
  databaseNow?(): Promise<number>;
  /** Subscribes to "jobs were inserted" hints; returns an unsubscribe function. */
  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void;
}

export interface StoreCapabilities {
  /** Claims skip rows locked by other transactions (PostgreSQL); SQLite serializes writers instead. */
  skipLocked: boolean;
  /** Insert hints reach other processes (LISTEN/NOTIFY); otherwise they poll. */
  pushNotify: boolean;
  /** `jobs.insertJobs(…, { client })` joins the caller's transaction. */
  transactionalEnqueue: boolean;
}

export interface MigrationReport {
  applied: { version: number; name: string }[];
  version: number;
}

export interface JobsInsertedHint {
  queues: string[];
  /** The earliest runAt among the inserted jobs. */
  earliestRunAt: number;
}
