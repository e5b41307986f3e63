import type { LimitRule } from "../core/job-limits.ts";
import type { TickflowEvents } from "../events.ts";
import type { Logger } from "../logger.ts";
import type { Store } from "../store/store.ts";
import { Maintenance } from "./maintenance.ts";
import type { JobRegistry } from "./registry.ts";
import { Scheduler } from "./scheduler.ts";
import { WorkerPool } from "./worker-pool.ts";

export interface EngineDeps {
  store: Store;
  events: TickflowEvents;
  logger: Logger;
  registry: JobRegistry;
  workerId: string;
  now(): number;
  /** The cluster-wide limits every claim holds (tickflow.limits). */
  rules?(): readonly LimitRule[];
  random01(): number;
  /** An injected clock (tests) moves by hand: ticks are then decided exactly at their nominal time. */
  injectedClock: boolean;
}

export interface EngineSettings {
  leaseMs?: number;
  retentionMs?: number | null;
  concurrency?: number;
  prefetch?: number;
  queues?: string[];
  pollIntervalMs?: number;
}

export interface Engine {
  maintenance: Maintenance;
  scheduler: Scheduler | undefined;
  pool: WorkerPool | undefined;
}

/** Starts the engine's services a process runs: maintenance always, the scheduler and the worker pool on request. */
export function startEngine(
  deps: EngineDeps,
  settings: EngineSettings,
  run: { scheduler: boolean; worker: boolean },
): Engine {
  const { store, events, logger, now } = deps;
  const leaseMs = settings.leaseMs ?? 30_000;
  const maintenance = new Maintenance({
    store,
    events,
    now,
    rescueIntervalMs: Math.max(50, Math.min(5_000, Math.floor(leaseMs / 2))),
    retentionMs: settings.retentionMs === undefined ? 7 * 86_400_000 : settings.retentionMs,
  });
  maintenance.start();
  let scheduler: Scheduler | undefined;
  if (run.scheduler) {
    scheduler = new Scheduler({
      store,
      events,
      logger,
      now,
      maxSleepMs: 1_000,
      // Ticks are decided just ahead of time and run on time; an injected clock (tests) that
      // moves by hand gets decisions exactly at the nominal time instead.
      leadMs: deps.injectedClock ? 0 : 50,
    });
    scheduler.start();
  }
  let pool: WorkerPool | undefined;
  if (run.worker) {
    pool = new WorkerPool({
      store,
      registry: deps.registry,
      events,
      logger,
      workerId: deps.workerId,
      concurrency: settings.concurrency ?? 10,
      prefetch: settings.prefetch,
      queues: settings.queues,
      leaseMs,
      pollIntervalMs: settings.pollIntervalMs ?? 1_000,
      now,
      rules: deps.rules,
      random01: deps.random01,
    });
    pool.start();
  }
  return { maintenance, scheduler, pool };
}
