import {
  ACTIVE_FLOW_RUN_STATUSES,
  type FlowRunStats,
  isTriggerSource,
  summarizeFlowRuns,
  type TriggerSource,
} from "../core/flow-run-state.ts";
import { clampTimerMs } from "../core/limits.ts";
import {
  FlowAlreadyRunningError,
  FlowDisabledError,
  FlowPeriodTakenError,
  InvalidFlowError,
  InvalidOptionError,
  UnknownFlowError,
} from "../errors.ts";
import type { Feature, FeatureHost } from "../feature.ts";
import type { JobDefinition } from "../runtime/registry.ts";
import type { FlowSyncReport } from "../store/ports/flow-store.ts";
import type { FlowDefinitionRow, FlowRow, FlowRunRow } from "../store/ports/rows.ts";
import type { FlowRunFilter } from "../store/ports/store-queries.ts";
import { type FlowDefinition, isFlowDefinition } from "./define-flow.ts";
import { createFlowRunJob } from "./flow-run-job.ts";
import { emitAbandoned, emitEnqueue } from "./flow-runs.ts";
import { flowScheduleKey, toFlowDefinitionRow, toFlowSchedule } from "./sync-flows.ts";
import { type FlowTriggerAnswer, flowRunJobInsert } from "./trigger-flow.ts";

/** What the Tickflow instance lends its flows (the host every feature gets). */
export type FlowServiceHost = FeatureHost;

export interface FlowServiceOptions {
  /** Finished runs older than this are deleted (default 30 days; null keeps them). */
  runRetentionMs?: number | null;
  /** At most this many finished runs are kept per flow (default 1000; null: no limit). */
  runsKeptPerFlow?: number | null;
  /** How often stale runs (their job ended without finishing them) are closed (default 5 s). */
  sweepIntervalMs?: number;
}

/** A stored flow with what the API and CLI show about it. */
export interface FlowStatus extends FlowRow {
  /** Its code is loaded in this process (so this process's workers can run it). */
  defined: boolean;
  /** The pending or in-progress run, if any. */
  activeRun: FlowRunRow | null;
  /** Over the kept finished runs (at most STATS_WINDOW). */
  stats: FlowRunStats;
}

export interface TriggerOptions {
  /** What is triggering: "manual" (default), "api", "heartbeat" or "schedule". */
  source?: TriggerSource;
  /**
   * The schedule period (nominal fire time) this trigger runs: claimed with the run, so a period
   * the internal scheduler or another heartbeat already ran is refused (`period_taken`).
   */
  period?: number;
}

/** The newest finished runs that statistics consider (the default number kept per flow). */
const STATS_WINDOW = 1_000;
/** Pruning deletes many rows and retention is in days: at most hourly. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Data flows on a Tickflow instance (`tickflow.flows`): definitions, their startup sync, triggers,
 * and the reads the HTTP API and the CLI show (flows with last status, next run and stats; runs).
 */
export class FlowService implements Feature {
  readonly name = "flows";
  private readonly definitions = new Map<string, FlowDefinition>();
  private readonly options: Required<FlowServiceOptions>;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  private running = false;
  private offRescue: (() => void) | undefined;

  constructor(
    private readonly host: FlowServiceHost,
    options: FlowServiceOptions = {},
  ) {
    this.options = {
      runRetentionMs: options.runRetentionMs === undefined ? 30 * 86_400_000 : options.runRetentionMs,
      runsKeptPerFlow: options.runsKeptPerFlow === undefined ? STATS_WINDOW : options.runsKeptPerFlow,
      sweepIntervalMs: options.sweepIntervalMs ?? 5_000,
    };
    const job = createFlowRunJob({
      store: host.store,
      events: host.events,
      definition: (name) => this.definitions.get(name),
      now: () => this.now(),
    });
    host.register(job as unknown as JobDefinition<never, never>);
  }

  /** Adds flow definitions (before `start()`, which stores them); a scheduled flow gets its schedule. */
  define(...flows: FlowDefinition[]): this {
    for (const flow of flows) {
      if (!isFlowDefinition(flow)) throw new InvalidFlowError("expected defineFlow(…) results");
      const existing = this.definitions.get(flow.name);
      if (existing === flow) continue;
      if (existing) throw new InvalidFlowError(`flow "${flow.name}" is defined twice`);
      const schedule = toFlowSchedule(flow);
      if (schedule && this.host.hasSchedule(schedule.key)) {
        throw new InvalidFlowError(
          `flow "${flow.name}": its schedule key "${schedule.key}" is already used by another schedule; rename one of them`,
        );
      }
      if (schedule) this.host.addSchedule(schedule);
      this.definitions.set(flow.name, flow);
    }
    return this;
  }

  /** Integer epoch ms: the store's columns are integers, whatever the clock's precision. */
  private now(): number {
    return Math.floor(this.host.now());
  }

  /** Names of the flows defined in this process. */
  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  definition(name: string): FlowDefinition | undefined {
    return this.definitions.get(name);
  }

  /**
   * Stores the definitions: new flows inserted, changed ones updated, flows no longer defined
   * marked removed (their history stays), re-added ones restored. `enabled` is kept.
   */
  async sync(): Promise<FlowSyncReport> {
    const now = this.now();
    const rows = [...this.definitions.values()].map((flow) => toFlowDefinitionRow(flow, now));
    const report = await this.host.store.flows.syncFlows(rows, now);
    this.host.events.emit("flow:sync", report);
    return report;
  }

  /**
   * Stores one flow defined in this process that the store does not know (or marked removed),
   * leaving every stored flow as it is (`tickflow trigger` of a flow no running process defined).
   */
  async storeIfNew(flow: FlowDefinition): Promise<void> {
    const stored = await this.host.store.queries.listFlows();
    const existing = stored.find((f) => f.name === flow.name);
    if (existing && existing.removedAt === null) return;
    // A sync marks every flow it is not given as removed: hand it back every active stored flow.
    const now = Math.floor(this.now());
    const keep = stored.filter((f) => f.removedAt === null).map(definitionRowOf);
    await this.host.store.flows.syncFlows([...keep, toFlowDefinitionRow(flow, now)], now);
  }

  /** After the schedules are stored: a disabled flow's schedule is paused, so it fires nothing. */
  async pauseDisabledSchedules(): Promise<void> {
    const { store } = this.host;
    for (const flow of await store.queries.listFlows()) {
      if (flow.enabled || flow.removedAt !== null || flow.scheduleId === null) continue;
      const schedule = await store.queries.getSchedule(flow.scheduleId);
      if (schedule && !schedule.paused)
        await store.schedules.setSchedulePaused(schedule.id, true, this.now());
    }
  }

  /** Starts closing stale runs and pruning old ones (every process may; both are idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A rescued job may have left its run in progress: look at once rather than at the next sweep.
    this.offRescue = this.host.events.on("job:rescue", () => this.sweepSoon(0));
    this.sweepSoon(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.offRescue?.();
    clearTimeout(this.sweepTimer);
    await this.sweeping;
  }

  private sweepSoon(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        this.sweepSoon(this.options.sweepIntervalMs);
      });
    }, clampTimerMs(delayMs));
    this.sweepTimer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      await this.releaseStaleRuns();
      const now = this.now();
      if (now - this.lastPruneAt >= PRUNE_INTERVAL_MS) {
        this.lastPruneAt = now;
        await this.pruneRuns();
      }
    } catch (error) {
      this.host.events.emit("worker:error", { error: error as Error, where: "flow runs sweep" });
    }
  }

  /** Closes runs whose job ended without finishing them (`failed`, abandoned); returns them. */
  async releaseStaleRuns(): Promise<FlowRunRow[]> {
    const closed = await this.host.store.flows.releaseStaleRuns(this.now());
    emitAbandoned(this.host.events, closed);
    return closed;
  }

  /** Applies run retention now (it also runs hourly while started). Returns how many runs were deleted. */
  pruneRuns(): Promise<number> {
    const { runRetentionMs, runsKeptPerFlow } = this.options;
    return this.host.store.flows.pruneRuns({
      endedBefore: runRetentionMs === null ? null : this.now() - runRetentionMs,
      keepPerFlow: runsKeptPerFlow,
    });
  }

  // ── triggers ──────────────────────────────────────────────────────────────

  /**
   * Triggers a run (the seed's `trigger_run!`): enqueues the flow-run job on the flow's queue and
   * sets `last_run_at` and `last_run_status = in_progress` at once. Throws FlowAlreadyRunningError
   * (code FLOW_ALREADY_RUNNING, with the active run's id and start) while a run is pending or in
   * progress — in any process — FlowDisabledError for a disabled flow, UnknownFlowError for an
   * unknown one. `tryTrigger` answers the refusals as values instead.
   */
  async trigger(
    name: string,
    options: TriggerOptions = {},
  ): Promise<Extract<FlowTriggerAnswer, { status: "enqueued" }>> {
    const answer = await this.tryTrigger(name, options);
    if (answer.status === "already_running") {
      throw new FlowAlreadyRunningError(name, answer.runId, answer.startedAt);
    }
    if (answer.status === "disabled") throw new FlowDisabledError(name);
    if (answer.status === "period_taken") {
      throw new FlowPeriodTakenError(name, answer.period);
    }
    return answer;
  }

  /** Like `trigger`, but a refusal is an answer: `already_running` (with the run) or `disabled`. */
  async tryTrigger(name: string, options: TriggerOptions = {}): Promise<FlowTriggerAnswer> {
    const source = options.source ?? "manual";
    if (!isTriggerSource(source)) {
      throw new InvalidOptionError(
        `trigger "${name}": source must be schedule, manual, heartbeat or api, got ${JSON.stringify(source)}`,
      );
    }
    const { store, events } = this.host;
    const flow = await store.queries.getFlow(name);
    if (!flow || flow.removedAt !== null) throw await this.unknown(name);
    const now = this.now();
    const result = await store.flows.triggerRun({
      flow: name,
      source,
      job: flowRunJobInsert(flow, source, now),
      now,
      ...(options.period === undefined
        ? {}
        : { period: { scheduleId: flowScheduleKey(flow), nominalAt: options.period } }),
    });
    const skip = (reason: "period_taken" | "disabled" | "already_running", run?: FlowRunRow) =>
      events.emit("flow:skip", {
        flow: name,
        source,
        reason,
        activeRunId: run?.id ?? null,
        activeStartedAt: run?.startedAt ?? null,
        jobId: null,
      });
    if (result.status === "period_taken") {
      skip("period_taken");
      return { status: "period_taken", flow: name, period: options.period! };
    }
    if (result.status === "not_found") throw await this.unknown(name);
    if (result.status === "disabled") {
      skip("disabled");
      return { status: "disabled", flow: name };
    }
    emitAbandoned(events, result.abandoned);
    if (result.status === "already_running") {
      const { run } = result;
      skip("already_running", run);
      return {
        status: "already_running",
        flow: name,
        runId: run.id,
        runStatus: run.status === "in_progress" ? "in_progress" : "pending",
        startedAt: run.startedAt,
      };
    }
    emitEnqueue(events, result.run, flow.queue);
    return {
      status: "enqueued",
      flow: name,
      runId: result.run.id,
      jobId: result.jobId,
      queue: flow.queue,
      source,
    };
  }

  private async unknown(name: string): Promise<UnknownFlowError> {
    const known = (await this.host.store.queries.listFlows()).filter((f) => f.removedAt === null);
    return new UnknownFlowError(
      name,
      known.map((f) => f.name),
    );
  }

  // ── reads and admin ───────────────────────────────────────────────────────

  /** Every stored flow (removed ones included, marked) with its last status, next run, active run and stats. */
  async list(): Promise<FlowStatus[]> {
    const flows = await this.host.store.queries.listFlows();
    return Promise.all(flows.map((flow) => this.status(flow)));
  }

  /** One flow, or null. */
  async get(name: string): Promise<FlowStatus | null> {
    const flow = await this.host.store.queries.getFlow(name);
    return flow ? this.status(flow) : null;
  }

  /** Success rate and p50/p95 durations over the flow's kept finished runs. */
  async stats(name: string): Promise<FlowRunStats> {
    return summarizeFlowRuns(await this.host.store.queries.finishedFlowRunSummaries(name, STATS_WINDOW));
  }

  /** Run history, newest first; filter by flow, status, source, job; page with `beforeId`. */
  runs(filter: FlowRunFilter = {}): Promise<FlowRunRow[]> {
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1)) {
      throw new InvalidOptionError(`runs: limit must be a positive integer, got ${filter.limit}`);
    }
    return this.host.store.queries.listFlowRuns(filter);
  }

  /** One run, or null. */
  run(id: string): Promise<FlowRunRow | null> {
    return this.host.store.queries.getFlowRun(id);
  }

  /** Enables a flow: triggers are accepted again and its schedule (if any) resumes. */
  enable(name: string): Promise<FlowRow> {
    return this.setEnabled(name, true);
  }

  /** Disables a flow: triggers are refused and its schedule (if any) is paused. Running runs finish. */
  disable(name: string): Promise<FlowRow> {
    return this.setEnabled(name, false);
  }

  private async setEnabled(name: string, enabled: boolean): Promise<FlowRow> {
    const { store } = this.host;
    if (!(await store.queries.getFlow(name))) throw await this.unknown(name);
    const now = this.now();
    const flow = await store.flows.setFlowEnabled(name, enabled, now);
    if (flow.scheduleId !== null && (await store.queries.getSchedule(flow.scheduleId))) {
      await store.schedules.setSchedulePaused(flow.scheduleId, !enabled, now);
      return (await store.queries.getFlow(name))!;
    }
    return flow;
  }

  private async status(flow: FlowRow): Promise<FlowStatus> {
    const [active] = await this.host.store.queries.listFlowRuns({
      flow: flow.name,
      status: ACTIVE_FLOW_RUN_STATUSES,
      limit: 1,
    });
    return {
      ...flow,
      defined: this.definitions.has(flow.name),
      activeRun: active ?? null,
      stats: await this.stats(flow.name),
    };
  }
}

function definitionRowOf(f: FlowRow): FlowDefinitionRow {
  return {
    name: f.name,
    schedule: f.schedule,
    scheduleId: f.scheduleId,
    queue: f.queue,
    retries: f.retries,
    timeoutMs: f.timeoutMs,
    backoff: f.backoff,
    nextRunAt: f.nextRunAt,
  };
}
