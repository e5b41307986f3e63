import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Alerts } from "./alerts/alerts.ts";
import type { Checks } from "./checks/checks.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { TickflowError } from "./errors.ts";
import { TickflowEvents } from "./events.ts";
import type { FeatureHost } from "./feature.ts";
import { Features } from "./features.ts";
import type { FlowService } from "./flows/flow-service.ts";
import { loadFlowsFromDir } from "./flows/load-flows.ts";
import { Liveness } from "./liveness.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import type { Monitors } from "./monitors/monitors.ts";
import { subscribeFlowLogs } from "./observability/flow-log-subscriber.ts";
import { subscribeLogs } from "./observability/log-subscriber.ts";
import { CodeSchedules } from "./runtime/code-schedules.ts";
import { DatabaseClock } from "./runtime/database-clock.ts";
import { type Engine, startEngine, stopPools } from "./runtime/engine.ts";
import type { EnqueueOptions, PayloadOf } from "./runtime/enqueue.ts";
import { enqueueJobs } from "./runtime/enqueue-jobs.ts";
import { Limits } from "./runtime/limits.ts";
import {
  type DefineJobOptions,
  defineJob,
  type JobDefinition,
  type JobHandler,
  JobRegistry,
  type ThreadHandler,
} from "./runtime/registry.ts";
import { createSchedulesApi, type SchedulesApi } from "./runtime/schedule-api.ts";
import type { ScheduleDiff } from "./runtime/schedule-diff.ts";
import { defineSchedule, type ScheduleDefinition, type ScheduleOptions } from "./runtime/schedules.ts";
import { checkTickflowOptions } from "./runtime/tickflow-options.ts";
import { openStore, storeReports } from "./store/open-store.ts";
import type { JobRow, JobRunRow, QueueCount, ScheduleRow, TickRow } from "./store/ports/rows.ts";
import type { StoreQueries } from "./store/ports/store-queries.ts";
import type { Migration } from "./store/shared/migrator.ts";
import type { MigrationReport, Store } from "./store/store.ts";
import type { EnqueueManyItem, StartOptions, TickflowOptions } from "./tickflow-options.ts";

export type { EnqueueManyItem, ScheduleStatus, StartOptions, TickflowOptions } from "./tickflow-options.ts";

/**
 * A tickflow instance: the job registry, the store and the services (worker pool, scheduler,
 * maintenance) around them. Create it with `createTickflow`.
 */
export class Tickflow {
  /** @internal With its write ports: runtime and features only; surfaces use `queries` and this facade. */
  readonly store: Store;
  /** Every read of the store (jobs, runs, schedules, ticks, flows, monitors), batch reads included. */
  readonly queries: StoreQueries;
  /** The store's dialect. */
  readonly dialect: Store["dialect"];
  readonly events = new TickflowEvents();
  readonly logger: Logger;
  readonly registry = new JobRegistry();
  readonly workerId: string;
  /** Liveness monitors: `status()`, `transitions(name)`; define them with `defineMonitor`. */
  readonly monitors: Monitors;
  /** Check-ins (spec §12): status, pings; define them with `defineCheck` or the `checks` option. */
  readonly checks: Checks;
  /** Alert rules, channels, incidents, deliveries and silences (spec §12): the `alerts` option. */
  readonly alerts: Alerts;
  private readonly features: Features;
  /** Data flows: trigger, list, runs, stats, enable/disable; define them with `defineFlow`. */
  readonly flows: FlowService;
  /** Cluster-wide limits (`define`, `usage`) and per-type enable/disable (docs/limits.md). */
  readonly limits: Limits;
  /** Stored schedules (call it to list them) and runtime ones: upsert, get, list, pause, resume, remove. */
  readonly schedules: SchedulesApi;
  /** Proof of liveness: schedule reports and health, rates, tick history, event loop (spec §11). */
  readonly liveness: Liveness;
  private readonly clock: Clock;
  private readonly random01: () => number;
  private readonly options: TickflowOptions;
  private readonly codeSchedules: CodeSchedules;
  private readonly ownsStore: boolean;
  /** Set when the clock follows the database's (createTickflow on PostgreSQL): re-measured while running. */
  private readonly databaseClock: DatabaseClock | undefined;
  /** The services this process runs, from start() on. */
  private engine: Engine | undefined;
  private startedAt: number | null = null;
  private unsubscribeLogs: () => void;
  private unsubscribeFlowLogs: () => void;
  private state: "idle" | "running" | "stopping" | "stopped" = "idle";
  private stopping: Promise<void> | undefined;
  private flowsLoaded = false;

  constructor(store: Store, options: TickflowOptions, ownsStore: boolean, databaseClock?: DatabaseClock) {
    this.store = store;
    this.queries = store.queries;
    this.dialect = store.dialect;
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
    const now = () => this.clock.now();
    this.codeSchedules = new CodeSchedules({ store, registry: this.registry, events: this.events, now });
    for (const job of options.jobs ?? []) this.register(job);
    this.limits = new Limits(store, () => this.clock.now());
    for (const limit of options.limits ?? []) this.limits.define(limit);
    for (const schedule of options.schedules ?? []) this.addSchedule(schedule);
    this.events.onListenerError = (error, event) =>
      this.logger.error({ err: error, event }, `a listener of ${event} threw (ignored): ${String(error)}`);
    this.unsubscribeFlowLogs = subscribeFlowLogs(this.events, this.logger);
    const host: FeatureHost = {
      store,
      events: this.events,
      now,
      register: (definition) => void this.register(definition),
      addSchedule: (definition) => void this.addSchedule(definition),
      hasSchedule: (key) => this.codeSchedules.has(key),
    };
    this.features = new Features(host, options, () => this.liveness.scheduleReports({ ticks: 10 }));
    this.monitors = this.features.monitors;
    this.flows = this.features.flows;
    this.checks = this.features.checks;
    this.alerts = this.features.alerts;
    const [registry, events, isCodeSchedule] = [this.registry, this.events, host.hasSchedule];
    const wake = () => this.engine?.scheduler?.wake();
    this.schedules = createSchedulesApi({ store, registry, events, now, isCodeSchedule, wake });
    this.liveness = new Liveness({
      ...{ queries: this.queries, events: this.events, now: host.now },
      ...{ failingAfter: options.failingAfter, startupGraceMs: options.startupGraceMs },
      eventLoop: () => this.engine?.watchdog?.status() ?? null,
      runningJobTypes: () =>
        [this.engine?.pool, this.engine?.systemPool].flatMap((p) => p?.runningTypes() ?? []),
    });
  }

  /** Applies pending migrations (`start()` does too); safe when several processes run it at once. */
  migrate(): Promise<MigrationReport> {
    return this.store.migrate();
  }

  /** Migrations the code ships that the database has not applied yet. */
  pendingMigrations(): Promise<{ version: number; name: string }[]> {
    return this.store.pendingMigrations();
  }

  /** Every migration the store's adapter ships, in order. */
  knownMigrations(): readonly Migration[] {
    return this.store.knownMigrations();
  }

  /** Registers job types. */
  register(...definitions: JobDefinition<never, never>[]): this {
    for (const definition of definitions) this.registry.register(definition);
    return this;
  }

  /** Declares and registers a job type in one call; returns its definition. */
  defineJob<Payload = unknown, State = unknown>(
    name: string,
    handler: JobHandler<Payload, State> | ThreadHandler,
    options?: DefineJobOptions<Payload>,
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
    return this.codeSchedules.add(definition);
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
  enqueueMany(items: readonly EnqueueManyItem[]): Promise<string[]> {
    const { store, registry, events, engine, limits } = this;
    return enqueueJobs({ store, registry, events, engine, limits }, items, this.clock.now());
  }

  /** Migrates the store, reconciles schedules and starts the services this process runs. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.state !== "idle")
      throw new TickflowError("ALREADY_STARTED", "this tickflow instance was already started");
    this.state = "running";
    const now = () => this.clock.now();
    this.startedAt = now();
    await this.loadFlowsDir();
    await this.migrate();
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
    this.engine = startEngine(
      {
        store: this.store,
        events: this.events,
        logger: this.logger,
        registry: this.registry,
        workerId: this.workerId,
        now,
        rules: () => this.limits.rules(),
        random01: this.random01,
        injectedClock: this.options.clock !== undefined,
      },
      this.options,
      { scheduler: runScheduler, worker: options.worker ?? true },
    );
  }

  /**
   * Stores code-defined schedules: new ones inserted, changed ones updated, removed ones deleted —
   * when this code is the newest version the store has seen (rolling deploys: an older one running
   * beside a newer one writes none). Runtime schedules are never touched.
   */
  async syncSchedules(): Promise<void> {
    const now = this.clock.now();
    this.features.checkTargets(this.codeSchedules.keys());
    const report = await this.codeSchedules.sync(now, this.state === "running");
    await this.features.sync(now);
    this.events.emit("schedule:sync", report);
    this.engine?.scheduler?.wake();
  }

  /** What starting this code would create, change, pause and remove (writes nothing). */
  async diffSchedules(): Promise<ScheduleDiff> {
    await this.loadFlowsDir();
    return this.codeSchedules.diff(this.clock.now());
  }

  private async loadFlowsDir(): Promise<void> {
    if (this.options.flowsDir === undefined || this.flowsLoaded) return;
    this.flowsLoaded = true;
    const optional = this.options.flowsDirOptional;
    this.flows.define(...(await loadFlowsFromDir(this.options.flowsDir, { optional })));
  }

  /**
   * Graceful stop: no new claims; running jobs get `graceMs` (default `shutdownGraceMs`) to
   * finish, then are aborted and released for another worker. Calling it again returns the same
   * promise, so a second signal cannot corrupt anything.
   */
  stop(graceMs?: number): Promise<void> {
    if (this.stopping) {
      // A second stop (e.g. a second SIGINT) with no grace hurries the first along.
      if (graceMs === 0) for (const pool of [this.engine?.pool, this.engine?.systemPool]) pool?.abortNow();
      return this.stopping;
    }
    this.stopping = this.doStop(graceMs ?? this.options.shutdownGraceMs ?? 10_000);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.state = "stopping";
    await this.engine?.scheduler?.stop();
    // In-flight monitor checks are aborted now and not counted, rather than given the grace period.
    this.monitors.stop();
    await stopPools(this.engine, graceMs);
    await this.engine?.maintenance.stop();
    await this.flows.stop();
    this.databaseClock?.stop();
    this.codeSchedules.stop();
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
    const e = this.engine;
    const lane = { queues: e?.systemQueues ?? [], concurrency: e?.systemPool?.concurrency ?? 0 };
    return {
      state: this.state,
      scheduler: !!e?.scheduler,
      worker: !!e?.pool,
      startedAt: this.startedAt,
      systemLane: lane,
    };
  }

  /** The instance's clock (epoch ms): features use it so an injected clock reaches them too. */
  now(): number {
    return this.clock.now();
  }

  getJob(id: string): Promise<JobRow | null> {
    return this.queries.getJob(id);
  }

  listJobRuns(jobId: string): Promise<JobRunRow[]> {
    return this.queries.listJobRuns(jobId);
  }

  cancelJob(id: string): Promise<JobRow> {
    return this.store.jobs.cancelJob(id, this.clock.now());
  }

  retryJob(id: string): Promise<JobRow> {
    return this.store.jobs.retryJob(id, this.clock.now());
  }

  queueCounts(): Promise<QueueCount[]> {
    return this.queries.countJobs(this.clock.now());
  }

  listTicks(scheduleId: string, options?: { limit?: number; since?: number }): Promise<TickRow[]> {
    return this.queries.listTicks(scheduleId, options);
  }

  /** The next `count` nominal fire times of a stored schedule, from now. */
  previewRuns(scheduleId: string, count = 5): Promise<Date[]> {
    return this.schedules.preview(scheduleId, count);
  }

  pauseSchedule(id: string): Promise<ScheduleRow> {
    return this.schedules.pause(id);
  }

  resumeSchedule(id: string): Promise<ScheduleRow> {
    return this.schedules.resume(id);
  }
}

/** The composition root: opens the store named by the options and wires the services. */
export async function createTickflow(options: TickflowOptions = {}): Promise<Tickflow> {
  checkTickflowOptions(options);
  let tickflow: Tickflow | undefined;
  const store =
    options.store ??
    (await openStore(options.databaseUrl ?? "sqlite:./tickflow.db", {
      concurrency: options.concurrency ?? 10,
      pool: options.pool,
      ...storeReports(() => tickflow?.logger),
    }));
  // A store shared across machines has a clock of its own: follow it, so that clock skew between
  // nodes cannot shift a tick or a due time. Measured now (best effort) so that even an
  // enqueue-only instance uses it; start() measures again if this failed.
  const databaseClock = options.clock === undefined ? await DatabaseClock.following(store) : undefined;
  tickflow = new Tickflow(store, options, options.store === undefined, databaseClock);
  return tickflow;
}
