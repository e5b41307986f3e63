import type { AlertsOptions } from "./alerts/alerts-options.ts";
import type { CheckDefinition, CheckOptions } from "./checks/define-check.ts";
import type { Clock } from "./core/clock.ts";
import type { LimitOptions } from "./core/limit-options.ts";
import type { FlowDefinition } from "./flows/define-flow.ts";
import type { Logger } from "./logger.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import type { EnqueueOptions } from "./runtime/enqueue.ts";
import type { JobDefinition } from "./runtime/registry.ts";
import type { ScheduleDefinition } from "./runtime/schedules.ts";
import type { CREATE_TICKFLOW_KEYS } from "./runtime/tickflow-options.ts";
import type { ApplicationPool } from "./store/pg-client.ts";
import type { Store } from "./store/store.ts";

export interface TickflowOptions {
  /** `sqlite:<path>` (default `sqlite:./tickflow.db`) or `postgres://…`. Ignored when `store` or `pool` is given. */
  databaseUrl?: string;
  /**
   * PostgreSQL: the application's `pg.Pool`, instead of `databaseUrl`. tickflow opens its own
   * connections with that pool's settings (its statements need session settings of their own) and
   * leaves the pool itself to the application.
   */
  pool?: ApplicationPool;
  /** An opened store (tests, embedding). The caller keeps ownership unless `ownsStore`. */
  store?: Store;
  jobs?: readonly JobDefinition<never, never>[];
  schedules?: readonly ScheduleDefinition[];
  /** Liveness monitors (spec §5): `defineMonitor(…)` results or plain options such as `{ name, url }`. */
  monitors?: readonly (MonitorDefinition | MonitorOptions)[];
  /** Check-ins (spec §12): `defineCheck(…)` results or plain options such as `{ key, every, grace }`. */
  checks?: readonly (CheckDefinition | CheckOptions)[];
  /** Alert rules and their channels (spec §12, docs/alerts.md). */
  alerts?: AlertsOptions;
  /** Where `{ env: "NAME" }` secrets (check tokens, channel secrets) are read; default process.env. */
  env?: Record<string, string | undefined>;
  /** Data flows (spec §6): `defineFlow(…)` results. */
  flows?: readonly FlowDefinition[];
  /** Cluster-wide limits (spec §13, docs/limits.md); more with `tickflow.limits.define(…)`. */
  limits?: readonly LimitOptions[];
  /** A flows folder loaded at `start()`: each file default-exports a flow or an array of flows. */
  flowsDir?: string;
  /** With `flowsDir`: a missing folder is no error (the config's default `./flows`). */
  flowsDirOptional?: boolean;
  /** Finished flow runs older than this are deleted (default 30 days; null keeps them). */
  flowRunRetentionMs?: number | null;
  /** At most this many finished runs are kept per flow (default 1000; null: no limit). */
  flowRunsKept?: number | null;
  /** Jobs run at once by this process's worker pool (default 10). */
  concurrency?: number;
  /**
   * Jobs the worker pool claims ahead of its free slots and holds leased, so a freed slot starts
   * the next job without a round trip (default: concurrency; 0 turns it off). See docs/jobs.md.
   */
  prefetch?: number;
  /** Queues this process works; all when omitted. */
  queues?: string[];
  /**
   * Worker slots reserved for system work — heartbeat jobs, monitor checks (spec §11) — on top of
   * `concurrency`; user jobs cannot take them. Default 2; 0 turns the reserved lane off.
   */
  systemConcurrency?: number;
  /** A blocked event loop longer than this is reported as a stall (default 1000 ms; null: no watchdog). */
  stallThresholdMs?: number | null;
  /** How long health stays degraded after an event-loop stall (default 60 s). */
  stallDegradedForMs?: number;
  /** Consecutive failed runs that make a schedule's health `failing` (default 1). */
  failingAfter?: number;
  /** Schedule ticks older than this are deleted, once folded into rollups (default 30 days; null keeps them). */
  tickRetentionMs?: number | null;
  /** Ticks are folded into rollups once this old, their job settled (default 1 h). */
  rollupLagMs?: number;
  /** After start, how long a heartbeat that is not ok yet does not fail readiness (default 15 s). */
  startupGraceMs?: number;
  /** How long a claim holds a job before another worker may take it (default 30 s). */
  leaseMs?: number;
  /** Idle polling floor for work added by other processes (default 1000 ms). */
  pollIntervalMs?: number;
  /** Time given to running jobs at shutdown before they are aborted and released (default 10 s). */
  shutdownGraceMs?: number;
  /** Finished jobs older than this are pruned (default 7 days; null keeps all). */
  retentionMs?: number | null;
  logger?: Logger;
  clock?: Clock;
  random01?: () => number;
  workerId?: string;
}

export interface StartOptions {
  /** Run the worker pool (default true). */
  worker?: boolean;
  /** Run the scheduler (default true). */
  scheduler?: boolean;
  /** Reconcile code-defined schedules with the store (default: when the scheduler runs). */
  syncSchedules?: boolean;
}

export interface EnqueueManyItem {
  type: string | JobDefinition<never, never>;
  payload?: unknown;
  options?: EnqueueOptions;
}

export type { ScheduleStatus } from "./runtime/schedule-api.ts";

// Compile-time: CREATE_TICKFLOW_KEYS names every key of TickflowOptions and nothing else.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const optionKeysComplete: Same<keyof TickflowOptions, (typeof CREATE_TICKFLOW_KEYS)[number]> = true;
void optionKeysComplete;
