import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, systemClock } from "./core/clock.ts";
import { previewFireTimes } from "./core/triggers.ts";
import { NotFoundError, TickflowError } from "./errors.ts";
import { TickflowEvents } from "./events.ts";
import type { FeatureHost } from "./feature.ts";
import { composeFeatures } from "./features.ts";
import type { FlowService } from "./flows/flow-service.ts";
import { loadFlowsFromDir } from "./flows/load-flows.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import type { Monitors } from "./monitors/monitors.ts";
import { subscribeFlowLogs } from "./observability/flow-log-subscriber.ts";
import { subscribeLogs } from "./observability/log-subscriber.ts";
import { DatabaseClock } from "./runtime/database-clock.ts";
import { startEngine } from "./runtime/engine.ts";
import {
  buildJobInsert,
  checkEnqueueManyItems,
  type EnqueueOptions,
  type PayloadOf,
  typeName,
} from "./runtime/enqueue.ts";
import type { Maintenance } from "./runtime/maintenance.ts";
import {
  defineJob,
  type JobDefinition,
  type JobHandler,
  type JobOptions,
  JobRegistry,
  type ThreadHandler,
} from "./runtime/registry.ts";
import type { Scheduler } from "./runtime/scheduler.ts";
import {
  defineSchedule,
  type ScheduleDefinition,
  type ScheduleOptions,
  toScheduleRow,
} from "./runtime/schedules.ts";
import { checkTickflowOptions } from "./runtime/tickflow-options.ts";
import type { WorkerPool } from "./runtime/worker-pool.ts";
import { DashboardSessions } from "./sessions.ts";
import { openStore, storeReports } from "./store/open-store.ts";
import type { InsertResult } from "./store/ports/job-store.ts";
import type { JobRow, JobRunRow, QueueCount, ScheduleRow, TickRow } from "./store/ports/rows.ts";
import type { StoreQueries } from "./store/ports/store-queries.ts";
import { leasableOnInsert } from "./store/shared/insert-lease.ts";
import type { Migration } from "./store/shared/migrator.ts";
import type { MigrationReport, Store } from "./store/store.ts";
import type { EnqueueManyItem, ScheduleStatus, StartOptions, TickflowOptions } from "./tickflow-options.ts";

export type { EnqueueManyItem, ScheduleStatus, StartOptions, TickflowOptions } from "./tickflow-options.ts";

type LifecycleState = "idle" | "running" | "stopping" | "stopped";

/**
 * A tickflow instance: the job registry, the store and the services (worker pool, scheduler,
 * maintenance) around them. Create it with `createTickflow`.
 */
export class Tickflow {
  /** @internal With its write ports: runtime and features only; surfaces use `queries` and this facade. */
  readonly store: Store;
  /** Every read of the store (jobs, runs, schedules, ticks, flows, monitors), batch reads included. */
  readonly queries: StoreQueries;
  readonly dialect: Store["dialect"];
  readonly events = new TickflowEvents();
  readonly logger: Logger;
  readonly registry = new JobRegistry();
  readonly workerId: string;
  /** Liveness monitors: `status()`, `transitions(name)`; define them with `defineMonitor`. */
  readonly monitors: Monitors;
  /** Data flows: trigger, list, runs, stats, enable/disable; define them with `defineFlow`. */
  readonly flows: FlowService;
  /** Dashboard sessions, stored (a restart or another replica keeps them): src/sessions.ts. */
  readonly sessions: DashboardSessions;
  private readonly clock: Clock;
  private readonly random01: () => number;
  private readonly options: TickflowOptions;
  private readonly scheduleDefinitions = new Map<string, ScheduleDefinition>();
  private readonly ownsStore: boolean;
  /** Set when the clock follows the database's (createTickflow on PostgreSQL): re-measured while running. */
  private readonly databaseClock: DatabaseClock | undefined;
  private pool: WorkerPool | undefined;
  private scheduler: Scheduler | undefined;
  private maintenance: Maintenance | undefined;
  private unsubscribeLogs: () => void;
  private unsubscribeFlowLogs: () => void;
  private state: LifecycleState = "idle";
  private stopping: Promise<void> | undefined;

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
    for (const job of options.jobs ?? []) this.register(job);
    for (const schedule of options.schedules ?? []) this.addSchedule(schedule);
    this.events.onListenerError = (error, event) =>
      this.logger.error({ err: error, event }, `a listener of ${event} threw (ignored): ${String(error)}`);
    this.unsubscribeFlowLogs = subscribeFlowLogs(this.events, this.logger);
    const host: FeatureHost = {
      store,
      events: this.events,
      now: () => this.clock.now(),
      register: (definition) => void this.register(definition),
      addSchedule: (definition) => void this.addSchedule(definition),
      hasSchedule: (key) => this.scheduleDefinitions.has(key),
    };
    ({ monitors: this.monitors, flows: this.flows } = composeFeatures(host, options));
    this.sessions = new DashboardSessions(store, () => this.clock.now());
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

  register(...definitions: JobDefinition<never, never>[]): this {
    for (const definition of definitions) this.registry.register(definition);
    return this;
  }

  /** Declares and registers a job type in one call; returns its definition. */
  defineJob<Payload = unknown, State = unknown>(
    name: string,
    handler: JobHandler<Payload, State> | ThreadHandler,
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
    const leaseTo =
      only && client === undefined && leasableOnInsert(only, now)
        ? this.pool?.reserveSlot(only.queue)
        : undefined;
    let results: InsertResult[];
    try {
      results = await this.store.jobs.insertJobs(
        inserts,
        now,
        client === undefined ? { leaseTo } : { client },
      );
    } catch (error) {
      if (leaseTo) this.pool?.unreserve();
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
      if (claimed) this.pool?.adopt(claimed);
      else this.pool?.unreserve();
    }
    return results.map((r) => r.id);
  }

  /** Migrates the store, reconciles schedules and starts the services this process runs. */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.state !== "idle")
      throw new TickflowError("ALREADY_STARTED", "this tickflow instance was already started");
    this.state = "running";
    const now = () => this.clock.now();
    if (this.options.flowsDir !== undefined) {
      const optional = this.options.flowsDirOptional;
      this.flows.define(...(await loadFlowsFromDir(this.options.flowsDir, { optional })));
    }
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
    const engine = startEngine(
      {
        store: this.store,
        events: this.events,
        logger: this.logger,
        registry: this.registry,
        workerId: this.workerId,
        now,
        random01: this.random01,
        injectedClock: this.options.clock !== undefined,
      },
      this.options,
      { scheduler: runScheduler, worker: options.worker ?? true },
    );
    ({ maintenance: this.maintenance, scheduler: this.scheduler, pool: this.pool } = engine);
  }

  /** Stores code-defined schedules: new ones inserted, changed ones updated, removed ones deleted. */
  async syncSchedules(): Promise<void> {
    const now = this.clock.now();
    const rows = [...this.scheduleDefinitions.values()].map((d) => toScheduleRow(d, this.registry, now));
    const report = await this.store.schedules.syncSchedules(rows, now);
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
      if (graceMs === 0) this.pool?.abortNow();
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
    await this.pool?.stop(graceMs);
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
  get lifecycle(): { state: LifecycleState; scheduler: boolean; worker: boolean } {
    return { state: this.state, scheduler: this.scheduler !== undefined, worker: this.pool !== undefined };
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

  /** Every stored schedule with its next run and its last recorded tick. */
  async schedules(): Promise<ScheduleStatus[]> {
    const rows = await this.queries.listSchedules();
    const ids = rows.map((row) => row.id);
    const last = await this.queries.latestTicks(ids, 1);
    return rows.map((row) => ({ ...row, lastTick: last.get(row.id)?.[0] ?? null }));
  }

  listTicks(scheduleId: string, options?: { limit?: number; since?: number }): Promise<TickRow[]> {
    return this.queries.listTicks(scheduleId, options);
  }

  /** The next `count` nominal fire times of a stored schedule, from now. */
  async previewRuns(scheduleId: string, count = 5): Promise<Date[]> {
    const schedule = await this.queries.getSchedule(scheduleId);
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
    return this.store.schedules.setSchedulePaused(id, true, this.clock.now());
  }

  async resumeSchedule(id: string): Promise<ScheduleRow> {
    const row = await this.store.schedules.setSchedulePaused(id, false, this.clock.now());
    this.scheduler?.wake();
    return row;
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
