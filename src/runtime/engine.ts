import type { LimitRule } from "../core/job-limits.ts";
import type { TickflowEvents } from "../events.ts";
import type { Logger } from "../logger.ts";
import type { LeaseGrant } from "../store/ports/job-store.ts";
import type { Store } from "../store/store.ts";
import { EventLoopWatchdog } from "./event-loop-watchdog.ts";
import { HistoryKeeper } from "./history-keeper.ts";
import { Maintenance } from "./maintenance.ts";
import type { JobRegistry } from "./registry.ts";
import { Scheduler } from "./scheduler.ts";
import { DEFAULT_SYSTEM_CONCURRENCY, systemLane } from "./system-lane.ts";
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
  systemConcurrency?: number;
  stallThresholdMs?: number | null;
  stallDegradedForMs?: number;
  tickRetentionMs?: number | null;
  rollupLagMs?: number;
}

export interface Engine {
  maintenance: Maintenance;
  scheduler: Scheduler | undefined;
  pool: WorkerPool | undefined;
  /** The reserved lane: a pool that claims only system queues (runtime/system-lane.ts). */
  systemPool: WorkerPool | undefined;
  /** Queues the reserved lane serves (empty: no lane in this process). */
  systemQueues: string[];
  watchdog: EventLoopWatchdog | undefined;
}

/**
 * Starts the engine's services a process runs: maintenance (with the history fold) always, the
 * scheduler and the worker pools (the ordinary one and the reserved lane) on request, and the
 * event-loop watchdog unless it is turned off.
 */
export function startEngine(
  deps: EngineDeps,
  settings: EngineSettings,
  run: { scheduler: boolean; worker: boolean },
): Engine {
  const { store, events, logger, now } = deps;
  const leaseMs = settings.leaseMs ?? 30_000;
  const retentionMs = settings.retentionMs === undefined ? 7 * 86_400_000 : settings.retentionMs;
  const maintenance = new Maintenance({
    store,
    events,
    now,
    rescueIntervalMs: Math.max(50, Math.min(5_000, Math.floor(leaseMs / 2))),
    retentionMs,
    history: new HistoryKeeper({
      jobRetentionMs: retentionMs,
      history: store.history,
      now,
      foldLagMs: settings.rollupLagMs ?? 3_600_000,
      tickRetentionMs: settings.tickRetentionMs === undefined ? 30 * 86_400_000 : settings.tickRetentionMs,
    }),
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
      maxLeadMs: 5_000,
    });
    scheduler.start();
  }
  const { pool, systemPool, systemQueues } = run.worker
    ? startPools(deps, settings, leaseMs)
    : { pool: undefined, systemPool: undefined, systemQueues: [] };
  let watchdog: EventLoopWatchdog | undefined;
  if (settings.stallThresholdMs !== null) {
    watchdog = new EventLoopWatchdog({
      stallThresholdMs: settings.stallThresholdMs,
      degradedForMs: settings.stallDegradedForMs,
      runningTypesSince: (since) => [
        ...(pool?.typesRunningSince(since) ?? []),
        ...(systemPool?.typesRunningSince(since) ?? []),
      ],
      now,
      onStall: (stall) => events.emit("event-loop:stall", stall),
    });
    watchdog.start();
  }
  return { maintenance, scheduler, pool, systemPool, systemQueues, watchdog };
}

function startPools(
  deps: EngineDeps,
  settings: EngineSettings,
  leaseMs: number,
): Pick<Engine, "pool" | "systemPool" | "systemQueues"> {
  const common = {
    store: deps.store,
    registry: deps.registry,
    events: deps.events,
    logger: deps.logger,
    leaseMs,
    pollIntervalMs: settings.pollIntervalMs ?? 1_000,
    now: deps.now,
    rules: deps.rules,
    random01: deps.random01,
  };
  const pool = new WorkerPool({
    ...common,
    workerId: deps.workerId,
    concurrency: settings.concurrency ?? 10,
    prefetch: settings.prefetch,
    queues: settings.queues,
  });
  pool.start();
  const concurrency = settings.systemConcurrency ?? DEFAULT_SYSTEM_CONCURRENCY;
  if (concurrency <= 0) return { pool, systemPool: undefined, systemQueues: [] };
  const lane = systemLane(deps.registry, settings.queues);
  for (const queue of lane.shared) {
    deps.logger.warn(
      { queue },
      `queue "${queue}" holds system work (heartbeat or monitor checks) and user job types: it is not in the reserved lane, so user jobs can delay its checks`,
    );
  }
  if (lane.queues.length === 0) return { pool, systemPool: undefined, systemQueues: [] };
  const systemPool = new WorkerPool({
    ...common,
    workerId: `${deps.workerId}:system`,
    concurrency,
    // Few, short, latency-bound jobs (heartbeat and monitor checks): nothing to gain from holding them.
    prefetch: 0,
    queues: lane.queues,
  });
  systemPool.start();
  return { pool, systemPool, systemQueues: lane.queues };
}

/**
 * A slot for a job inserted already leased to this process (enqueue's one-round-trip path): the
 * reserved lane first for its queues, then the ordinary pool. Null: no idle slot takes the queue.
 */
export function reserveInsertSlot(
  engine: Engine | undefined,
  queue: string,
): { pool: WorkerPool; lease: LeaseGrant } | null {
  for (const pool of [engine?.systemPool, engine?.pool]) {
    const lease = pool?.reserveSlot(queue);
    if (pool && lease) return { pool, lease };
  }
  return null;
}

/** Stops the pools (running jobs get `graceMs`) and the watchdog; the scheduler stops before, maintenance after. */
export async function stopPools(engine: Engine | undefined, graceMs: number): Promise<void> {
  await Promise.all([engine?.pool?.stop(graceMs), engine?.systemPool?.stop(graceMs)]);
  engine?.watchdog?.stop();
}
