import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "./core/clock.ts";
import { systemClock } from "./core/clock.ts";
import { DEFAULT_STARTUP_GRACE_MS } from "./core/readiness.ts";
import { previewFireTimes } from "./core/triggers.ts";
import { NotFoundError, TickflowError } from "./errors.ts";
import { TickflowEvents } from "./events.ts";
import type { FlowDefinition } from "./flows/define-flow.ts";
import { FlowService } from "./flows/flow-service.ts";
import { loadFlowsFromDir } from "./flows/load-flows.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import { Monitors } from "./monitors/monitors.ts";
import { subscribeFlowLogs } from "./observability/flow-log-subscriber.ts";
import { subscribeLogs } from "./observability/log-subscriber.ts";
import { countScheduleTicks, type TickCounter } from "./observability/tick-counter.ts";
import { DatabaseClock } from "./runtime/database-clock.ts";
import { buildJobInsert, checkEnqueueManyItems, type EnqueueOptions } from "./runtime/enqueue.ts";
import { type EventLoopStatus, EventLoopWatchdog } from "./runtime/event-loop-watchdog.ts";
import { HistoryKeeper } from "./runtime/history-keeper.ts";
import { Maintenance } from "./runtime/maintenance.ts";
import { type RateSummary, type RateWindows, readRateSummaries, readRates } from "./runtime/rates-reader.ts";
import {
  defineJob,
  type JobDefinition,
  type JobHandler,
  type JobOptions,
  JobRegistry,
} from "./runtime/registry.ts";
import {
  describeTickRows,
  readScheduleReports,
  type ScheduleReport,
} from "./runtime/schedule-health-reader.ts";
import { Scheduler } from "./runtime/scheduler.ts";
import {
  defineSchedule,
  type ScheduleDefinition,
  type ScheduleOptions,
  toScheduleRow,
} from "./runtime/schedules.ts";
import { DEFAULT_SYSTEM_CONCURRENCY, systemLane } from "./runtime/system-lane.ts";
import { type CREATE_TICKFLOW_KEYS, checkTickflowOptions } from "./runtime/tickflow-options.ts";
import { WorkerPool } from "./runtime/worker-pool.ts";
import { leasableOnInsert } from "./store/insert-lease.ts";
import { openStore } from "./store/open-store.ts";
import type {
  InsertResult,
  JobRow,
  JobRunRow,
  QueueCount,
  ScheduleRow,
  Store,
  TickRow,
} from "./store/store.ts";

export interface TickflowOptions {
  /** `sqlite:<path>` (default `sqlite:./tickflow.db`) or `postgres://…`. Ignored when `store` is given. */
  databaseUrl?: string;
  /** An opened store (tests, embedding). The caller keeps ownership unless `ownsStore`. */
  store?: Store;
  jobs?: readonly JobDefinition<never, never>[];
  schedules?: readonly ScheduleDefinition[];
  /** Liveness monitors (spec §5): `defineMonitor(…)` results or plain options such as `{ name, url }`. */
  monitors?: readonly (MonitorDefinition | MonitorOptions)[];
  /** Data flows (spec §6): `defineFlow(…)` results. */
  flows?: readonly FlowDefinition[];
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

export interface ScheduleStatus extends ScheduleRow {
  lastTick: TickRow | null;
}

type PayloadOf<D> = D extends JobDefinition<infer P, unknown> ? P : unknown;

/**
 * A tickflow instance: the job registry, the store and the services (worker pool, scheduler,
 * maintenance) around them. Create it with `createTickflow`.
 */
export class Tickflow {
  readonly store: Store;
  readonly events = new TickflowEvents();
  readonly logger: Logger;
  readonly registry = new JobRegistry();
  readonly workerId: string;
  /** Schedule ticks decided by this process since it was created (for the metrics). */
  readonly tickCounts: TickCounter;
  /** Liveness monitors: `status()`, `transitions(name)`; define them with `defineMonitor`. */
  readonly monitors: Monitors;
  /** Data flows: trigger, list, runs, stats, enable/disable; define them with `defineFlow`. */
  readonly flows: FlowService;
  private readonly clock: Clock;
  private readonly random01: () => number;
  private readonly options: TickflowOptions;
  private readonly scheduleDefinitions = new Map<string, ScheduleDefinition>();
  private readonly ownsStore: boolean;
  /** Set when the clock follows the database's (createTickflow on PostgreSQL): re-measured while running. */
  private readonly databaseClock: DatabaseClock | undefined;
  private pool: WorkerPool | undefined;
  /** The reserved lane: a pool that claims only system queues (runtime/system-lane.ts). */
  private systemPool: WorkerPool | undefined;
  private watchdog: EventLoopWatchdog | undefined;
  private startedAt: number | null = null;
  private scheduler: Scheduler | undefined;
  private maintenance: Maintenance | undefined;
  private unsubscribeLogs: () => void;
  private unsubscribeFlowLogs: () => void;
  private state: "idle" | "running" | "stopping" | "stopped" = "idle";
  private stopping: Promise<void> | undefined;

  constructor(store: Store, options: TickflowOptions, ownsStore: boolean, databaseClock?: DatabaseClock) {
    this.store = store;
    this.options = options;
    this.ownsStore = ownsStore;
    this.databaseClock = options.clock ? undefined : databaseClock;
    this.clock = options.clock ?? this.databaseClock ?? systemClock;
    if (this.databaseClock) {
      this.databaseClock.onError = (error) =>
        this.events.emit("worker:error", { error, where: "reading the database clock" });
    }
    this.random01 = options.random01 ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.unsubscribeLogs = subscribeLogs(this.events, this.logger);
    this.tickCounts = countScheduleTicks(this.events);
    for (const job of options.jobs ?? []) this.register(job);
    for (const schedule of options.schedules ?? []) this.addSchedule(schedule);
    this.monitors = new Monitors({
      store,
      events: this.events,
      now: () => this.clock.now(),
      register: (definition) => this.register(definition),
      addSchedule: (definition) => this.addSchedule(definition),
    });
    for (const monitor of options.monitors ?? []) this.monitors.add(monitor);
    this.events.onListenerError = (error, event) =>
      this.logger.error({ err: error, event }, `a listener of ${event} threw (ignored): ${String(error)}`);
    this.unsubscribeFlowLogs = subscribeFlowLogs(this.events, this.logger);
    this.flows = new FlowService(
      {
        store,
        events: this.events,
        now: () => this.clock.now(),
        register: (definition) => this.register(definition),
        addSchedule: (definition) => void this.addSchedule(definition),
        hasSchedule: (key) => this.scheduleDefinitions.has(key),
      },
      { runRetentionMs: options.flowRunRetentionMs, runsKeptPerFlow: options.flowRunsKept },
    );
    this.flows.define(...(options.flows ?? []));
  }

  /** Registers job types. */
  register(...definitions: JobDefinition<never, never>[]): this {
    for (const definition of definitions) this.registry.register(definition);
    return this;
  }

  /** Declares and registers a job type in one call; returns its definition. */
  defineJob<Payload = unknown, State = unknown>(
    name: string,
    handler: JobHandler<Payload, State>,
    options?: JobOptions,
  ): JobDefinition<Payload, State> {
    const definition = defineJob(name, handler, options);
    this.register(definition as unknown as JobDefinition<never, never>);
    return definition;
  }

  /** Declares a code-defined schedule; stored and reconciled at `start()` (or `syncSchedules()`). */
  defineSchedule(options: ScheduleOptions): ScheduleDefinition {
    return this.addSchedule(defineSchedule(options));
  }

  /** Declares a liveness monitor: its stateful job type and its `every` schedule (spec §5). */
  defineMonitor(options: MonitorOptions | MonitorDefinition): MonitorDefinition {
    return this.monitors.add(options);
  }

  private addSchedule(definition: ScheduleDefinition): ScheduleDefinition {
    if (this.scheduleDefinitions.has(definition.key)) {
      throw new TickflowError("DUPLICATE_SCHEDULE", `schedule "${definition.key}" is defined twice`);
    }
    this.scheduleDefinitions.set(definition.key, definition);
    return definition;
  }

  /** Enqueues one job; returns its id (the existing job's id when `key` deduplicates). */
  async enqueue<D extends string | JobDefinition<never, never>>(
    type: D,
    payload?: D extends string ? unknown : PayloadOf<D>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const [id] = await this.enqueueMany([{ type, payload, options }]);
    return id!;
  }

  /** Enqueues many jobs in one transaction: all are validated first; all or none are written. */
  async enqueueMany(items: readonly EnqueueManyItem[]): Promise<string[]> {
    checkEnqueueManyItems(items);
    const now = this.clock.now();
    const inserts = items.map((item) =>
      buildJobInsert(this.registry, typeName(item.type), item.payload, item.options ?? {}, now),
    );
    const client = items.find((item) => item.options?.client !== undefined)?.options?.client;
    if (client !== undefined && !this.store.capabilities.transactionalEnqueue) {
      throw new TickflowError(
        "UNSUPPORTED",
        `enqueue with a client needs a store with transactional enqueue (this is ${this.store.dialect})`,
      );
    }
    // One due job onto this process's idle worker: inserted already leased to it and started
    // here, one round trip instead of an insert and then a claim.
    const only = inserts.length === 1 ? inserts[0] : undefined;
    let reservedBy: WorkerPool | undefined;
    let leaseTo: ReturnType<WorkerPool["reserveSlot"]>;
    if (only && client === undefined && leasableOnInsert(only, now)) {
      for (const pool of [this.systemPool, this.pool]) {
        leaseTo = pool?.reserveSlot(only.queue);
        if (leaseTo) {
          reservedBy = pool;
          break;
        }
      }
    }
    let results: InsertResult[];
    try {
      results = await this.store.insertJobs(inserts, now, client === undefined ? { leaseTo } : { client });
    } catch (error) {
      if (leaseTo) reservedBy?.unreserve();
      throw error;
    }
    results.forEach((result, i) => {
      const insert = inserts[i]!;
      this.events.emit("job:enqueue", {
        jobId: result.id,
        type: insert.type,
        queue: insert.queue,
        runAt: insert.runAt,
        duplicate: result.status === "duplicate",
      });
    });
    if (leaseTo) {
      const claimed = results[0]?.claimed;
      if (claimed) reservedBy?.adopt(claimed);
      else reservedBy?.unreserve();
    }
    return results.map((r) => r.id);
  }

  /** Migrates the store, reconciles schedules and starts the services this process runs. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.state !== "idle")
      throw new TickflowError("ALREADY_STARTED", "this tickflow instance was already started");
    this.state = "running";
    const now = () => this.clock.now();
    this.startedAt = now();
    if (this.options.flowsDir !== undefined) {
      const optional = this.options.flowsDirOptional;
      this.flows.define(...(await loadFlowsFromDir(this.options.flowsDir, { optional })));
    }
    await this.store.migrate();
    if (this.databaseClock) {
      // Ticks and due times must be decided on the database's time from the first one.
      if (!this.databaseClock.estimate) await this.databaseClock.sync();
      this.databaseClock.start();
    }
    const runScheduler = options.scheduler ?? true;
    if (options.syncSchedules ?? runScheduler) {
      await this.flows.sync();
      await this.syncSchedules();
      await this.flows.pauseDisabledSchedules();
    }
    this.flows.start();
    const o = this.options;
    const leaseMs = o.leaseMs ?? 30_000;
    this.maintenance = new Maintenance({
      store: this.store,
      events: this.events,
      now,
      rescueIntervalMs: Math.max(50, Math.min(5_000, Math.floor(leaseMs / 2))),
      retentionMs: o.retentionMs === undefined ? 7 * 86_400_000 : o.retentionMs,
      history: new HistoryKeeper({
        history: this.store.history,
        now,
        foldLagMs: o.rollupLagMs ?? 3_600_000,
        tickRetentionMs: o.tickRetentionMs === undefined ? 30 * 86_400_000 : o.tickRetentionMs,
      }),
    });
    this.maintenance.start();
    if (runScheduler) {
      this.scheduler = new Scheduler({
        store: this.store,
        events: this.events,
        logger: this.logger,
        now,
        maxSleepMs: 1_000,
        // Ticks are decided just ahead of time and run on time; an injected clock (tests) that
        // moves by hand gets decisions exactly at the nominal time instead.
        leadMs: this.options.clock ? 0 : 50,
      });
      this.scheduler.start();
    }
    if (options.worker ?? true) {
      const poolOptions = {
        store: this.store,
        registry: this.registry,
        events: this.events,
        logger: this.logger,
        leaseMs,
        pollIntervalMs: o.pollIntervalMs ?? 1_000,
        now,
        random01: this.random01,
      };
      this.pool = new WorkerPool({
        ...poolOptions,
        workerId: this.workerId,
        concurrency: o.concurrency ?? 10,
        queues: o.queues,
      });
      this.pool.start();
      this.startSystemLane(poolOptions);
    }
    if (o.stallThresholdMs !== null) {
      this.watchdog = new EventLoopWatchdog({
        stallThresholdMs: o.stallThresholdMs,
        degradedForMs: o.stallDegradedForMs,
        runningTypesSince: (since) => [
          ...(this.pool?.typesRunningSince(since) ?? []),
          ...(this.systemPool?.typesRunningSince(since) ?? []),
        ],
        now,
        onStall: (stall) => this.events.emit("event-loop:stall", stall),
      });
      this.watchdog.start();
    }
  }

  private startSystemLane(
    poolOptions: Omit<ConstructorParameters<typeof WorkerPool>[0], "workerId" | "concurrency" | "queues">,
  ): void {
    const concurrency = this.options.systemConcurrency ?? DEFAULT_SYSTEM_CONCURRENCY;
    if (concurrency <= 0) return;
    const lane = systemLane(this.registry, this.options.queues);
    for (const queue of lane.shared) {
      this.logger.warn(
        { queue },
        `queue "${queue}" holds system work (heartbeat or monitor checks) and user job types: it is not in the reserved lane, so user jobs can delay its checks`,
      );
    }
    if (lane.queues.length === 0) return;
    this.systemPool = new WorkerPool({
      ...poolOptions,
      workerId: `${this.workerId}:system`,
      concurrency,
      queues: lane.queues,
    });
    this.systemPool.start();
  }

  /** Job types of the attempts this process runs now (one entry per attempt). */
  runningJobTypes(): string[] {
    return [...(this.pool?.runningTypes() ?? []), ...(this.systemPool?.runningTypes() ?? [])];
  }

  /** The event-loop watchdog's measures; null when it is off or not started. */
  eventLoop(): EventLoopStatus | null {
    return this.watchdog?.status() ?? null;
  }

  /** Stores code-defined schedules: new ones inserted, changed ones updated, removed ones deleted. */
  async syncSchedules(): Promise<void> {
    const now = this.clock.now();
    const rows = [...this.scheduleDefinitions.values()].map((d) => toScheduleRow(d, this.registry, now));
    const report = await this.store.syncSchedules(rows, now);
    await this.monitors.sync(now);
    this.events.emit("schedule:sync", report);
    this.scheduler?.wake();
  }

  /**
   * Graceful stop: no new claims; running jobs get `graceMs` (default `shutdownGraceMs`) to
   * finish, then are aborted and released for another worker. Calling it again returns the same
   * promise, so a second signal cannot corrupt anything.
   */
  stop(graceMs?: number): Promise<void> {
    if (this.stopping) {
      // A second stop (e.g. a second SIGINT) with no grace hurries the first along.
      if (graceMs === 0) {
        this.pool?.abortNow();
        this.systemPool?.abortNow();
      }
      return this.stopping;
    }
    this.stopping = this.doStop(graceMs ?? this.options.shutdownGraceMs ?? 10_000);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.state = "stopping";
    await this.scheduler?.stop();
    // In-flight monitor checks are aborted now and not counted, rather than given the grace period.
    this.monitors.stop();
    await Promise.all([this.pool?.stop(graceMs), this.systemPool?.stop(graceMs)]);
    this.watchdog?.stop();
    await this.maintenance?.stop();
    await this.flows.stop();
    this.databaseClock?.stop();
    this.unsubscribeLogs();
    this.unsubscribeFlowLogs();
    if (this.ownsStore) await this.store.close();
    this.state = "stopped";
  }

  on: TickflowEvents["on"] = (event, listener) => this.events.on(event, listener);

  /** What this instance runs now: `running` between start() and stop(). */
  get lifecycle(): {
    state: "idle" | "running" | "stopping" | "stopped";
    scheduler: boolean;
    worker: boolean;
    /** When start() ran (the instance's clock); null before. */
    startedAt: number | null;
    /** Queues served by reserved system slots, and how many (0: no reserved lane here). */
    systemLane: { queues: string[]; concurrency: number };
  } {
    return {
      state: this.state,
      scheduler: this.scheduler !== undefined,
      worker: this.pool !== undefined,
      startedAt: this.startedAt,
      systemLane: this.systemPool
        ? {
            queues: systemLane(this.registry, this.options.queues).queues,
            concurrency: this.options.systemConcurrency ?? DEFAULT_SYSTEM_CONCURRENCY,
          }
        : { queues: [], concurrency: 0 },
    };
  }

  /** Readiness waits this long after start for the heartbeat (core/readiness.ts). */
  get startupGraceMs(): number {
    return this.options.startupGraceMs ?? DEFAULT_STARTUP_GRACE_MS;
  }

  /** The instance's clock (epoch ms): features use it so an injected clock reaches them too. */
  now(): number {
    return this.clock.now();
  }

  // ── reads and admin actions ────────────────────────────────────────────────

  getJob(id: string): Promise<JobRow | null> {
    return this.store.getJob(id);
  }

  listJobRuns(jobId: string): Promise<JobRunRow[]> {
    return this.store.listJobRuns(jobId);
  }

  cancelJob(id: string): Promise<JobRow> {
    return this.store.cancelJob(id, this.clock.now());
  }

  retryJob(id: string): Promise<JobRow> {
    return this.store.retryJob(id, this.clock.now());
  }

  queueCounts(): Promise<QueueCount[]> {
    return this.store.countJobs(this.clock.now());
  }

  /** Every stored schedule with its next run and its last recorded tick. */
  async schedules(): Promise<ScheduleStatus[]> {
    const rows = await this.store.listSchedules();
    return Promise.all(
      rows.map(async (row) => ({
        ...row,
        lastTick: (await this.store.listTicks(row.id, { limit: 1 }))[0] ?? null,
      })),
    );
  }

  /**
   * Every stored schedule (or one) with its recent ticks in the one vocabulary — decision and
   * outcome, lateness, duration — and its health (spec §11): what the dashboard, API, CLI,
   * `/health` and metrics all show.
   */
  scheduleReports(options: { ticks?: number; scheduleId?: string } = {}): Promise<ScheduleReport[]> {
    return readScheduleReports(this.store, {
      ...options,
      now: this.clock.now(),
      failingAfter: this.options.failingAfter,
    });
  }

  /** Success and on-time rates of every schedule with rollups, per window (the overview's). */
  scheduleRateSummaries(): Promise<Map<string, RateSummary>> {
    return readRateSummaries(this.store.history, "schedule", this.clock.now());
  }

  /** 24 h / 7 d / 90 d success and on-time rates of schedules, from rollups (spec §11). */
  scheduleRates(ids: readonly string[]): Promise<Map<string, RateWindows>> {
    return readRates(this.store.history, "schedule", ids, this.clock.now());
  }

  /**
   * A page of a schedule's ticks in the one vocabulary, newest first: `before` (a nominal time,
   * exclusive) pages past any depth; `nextBefore` is the cursor of the next page.
   */
  async tickPage(
    scheduleId: string,
    options: { limit: number; before?: number; since?: number },
  ): Promise<{ ticks: ScheduleReport["ticks"]; nextBefore: number | null }> {
    const rows =
      options.before === undefined
        ? await this.store.listTicks(scheduleId, { limit: options.limit + 1, since: options.since })
        : await this.store.history.ticksBefore(scheduleId, options.before, options.limit + 1);
    const page = rows.slice(0, options.limit);
    const ticks = await describeTickRows(this.store, page, this.clock.now());
    return { ticks, nextBefore: rows.length > options.limit ? (page.at(-1)?.nominalAt ?? null) : null };
  }

  listTicks(scheduleId: string, options?: { limit?: number; since?: number }): Promise<TickRow[]> {
    return this.store.listTicks(scheduleId, options);
  }

  /** The next `count` nominal fire times of a stored schedule, from now. */
  async previewRuns(scheduleId: string, count = 5): Promise<Date[]> {
    const schedule = await this.store.getSchedule(scheduleId);
    if (!schedule) throw new NotFoundError(`schedule "${scheduleId}"`);
    // A broken schedule never fires; one not yet found broken may fail to plan here first.
    if (schedule.broken !== null || schedule.trigger === null) return [];
    try {
      return previewFireTimes(schedule.trigger, this.clock.now(), count).map((t) => new Date(t));
    } catch {
      return [];
    }
  }

  async pauseSchedule(id: string): Promise<ScheduleRow> {
    return this.store.setSchedulePaused(id, true, this.clock.now());
  }

  async resumeSchedule(id: string): Promise<ScheduleRow> {
    const row = await this.store.setSchedulePaused(id, false, this.clock.now());
    this.scheduler?.wake();
    return row;
  }
}

function typeName(type: string | JobDefinition<never, never>): string {
  return typeof type === "string" ? type : type.name;
}

// Compile-time: CREATE_TICKFLOW_KEYS names every key of TickflowOptions and nothing else.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const optionKeysComplete: Same<keyof TickflowOptions, (typeof CREATE_TICKFLOW_KEYS)[number]> = true;
void optionKeysComplete;

/** The composition root: opens the store named by the options and wires the services. */
export async function createTickflow(options: TickflowOptions = {}): Promise<Tickflow> {
  checkTickflowOptions(options);
  let tickflow: Tickflow | undefined;
  const store =
    options.store ??
    (await openStore(options.databaseUrl ?? "sqlite:./tickflow.db", {
      concurrency: options.concurrency ?? 10,
      // Dropped connections the store recovers from (killed backends, a restarted server), and
      // a SQLite write lock held too long by another process.
      onError: (error, where) =>
        tickflow?.logger.warn(
          { err: error, where },
          where === "sqlite write lock"
            ? `database write lock: ${error.message}`
            : `database connection problem (${where}): ${error.message}`,
        ),
    }));
  // A store shared across machines has a clock of its own: follow it, so that clock skew between
  // nodes cannot shift a tick or a due time. Measured now (best effort) so that even an
  // enqueue-only instance uses it; start() measures again if this failed.
  const databaseClock =
    options.clock === undefined && store.databaseNow
      ? new DatabaseClock({ read: () => store.databaseNow!() })
      : undefined;
  await databaseClock?.sync();
  tickflow = new Tickflow(store, options, options.store === undefined, databaseClock);
  return tickflow;
}
