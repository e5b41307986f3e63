import { gateClosed, type Hysteresis, INITIAL_HYSTERESIS, isMonitorState, step } from "../core/hysteresis.ts";
import { InvalidOptionError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import type { Feature } from "../feature.ts";
import { defineJob, type JobContext, type JobDefinition } from "../runtime/registry.ts";
import { defineSchedule, type ScheduleDefinition } from "../runtime/schedules.ts";
import type { MonitorCheckResult, MonitorRow, MonitorTransitionRow } from "../store/ports/rows.ts";
import type { Store } from "../store/store.ts";
import {
  defineMonitor,
  type MonitorDefinition,
  type MonitorOptions,
  toMonitorDefinitionRow,
} from "./define-monitor.ts";
import { runCheck } from "./run-check.ts";

/**
 * A monitor's durable job state (ctx.state, spec §3): the state machine's input, saved atomically
 * with each check's attempt and surviving restarts. `v` versions the persisted shape.
 */
export interface MonitorJobState extends Hysteresis {
  v: 1;
  /** Counted checks so far. */
  checks: number;
  lastCheckAt: number | null;
}

/** What `monitors.status()` reports per monitor: definition, state, counters, last check and transition. */
export type MonitorStatus = MonitorRow;

/** What the monitors need from their Tickflow (kept narrow: no runtime internals). */
export interface MonitorHost {
  readonly store: Store;
  readonly events: TickflowEvents;
  now(): number;
  register(definition: JobDefinition<never, never>): void;
  addSchedule(definition: ScheduleDefinition): void;
}

/** Why an in-flight check was aborted at stop (it is not counted). */
export class MonitorStopping extends Error {
  constructor() {
    super("monitor check aborted: tickflow is stopping (not counted)");
    this.name = "MonitorStopping";
  }
}

/**
 * The monitors of one Tickflow (`tickflow.monitors`). Each monitor is an ordinary stateful job
 * type (`monitor.<name>`, one attempt: the next interval is the retry) fired by an `every`
 * schedule (misfire "skip", overlap "skip"), so it is scheduled, leased, recorded and visible like
 * any job; this class adds the handler that checks, steps the hysteresis and publishes the result.
 */
export class Monitors implements Feature {
  readonly name = "monitors";
  private readonly definitions = new Map<string, MonitorDefinition>();
  private readonly inflight = new Set<AbortController>();
  private stopping = false;

  constructor(private readonly host: MonitorHost) {}

  /** Registers a monitor: validates it, defines its job type and schedule. */
  add(input: MonitorDefinition | MonitorOptions): MonitorDefinition {
    const definition = defineMonitor(input as MonitorOptions);
    if (this.definitions.has(definition.name)) {
      throw new InvalidOptionError(`monitor "${definition.name}" is defined twice`);
    }
    for (const other of this.definitions.values()) {
      const [gater, gated] = definition.gates.includes(other.queue)
        ? [definition, other]
        : other.gates.includes(definition.queue)
          ? [other, definition]
          : [];
      if (gater && gated) {
        throw new InvalidOptionError(
          `monitor "${gater.name}": gates must not include queue "${gated.queue}", where monitor "${gated.name}" runs its checks`,
        );
      }
    }
    const job = defineJob<unknown, MonitorJobState>(
      definition.jobType,
      (_payload, ctx) => this.runMonitor(definition, ctx),
      {
        queue: definition.queue,
        // Checks run in the reserved lane: a queue full of user jobs cannot starve them.
        lane: "system",
        // A failed check is not retried: the next interval is the retry.
        maxAttempts: 1,
        stateful: true,
        // A safety net only: the check is aborted at timeoutMs < intervalMs.
        timeout: definition.intervalMs,
      },
    );
    this.host.register(job as unknown as JobDefinition<never, never>);
    this.host.addSchedule(
      defineSchedule({
        key: definition.scheduleKey,
        job: definition.jobType,
        every: definition.intervalMs,
        misfire: "skip",
        overlap: "skip",
      }),
    );
    this.definitions.set(definition.name, definition);
    return definition;
  }

  /** The monitors defined in this process. */
  list(): MonitorDefinition[] {
    return [...this.definitions.values()];
  }

  /** Stores the definitions (with the schedules): new monitors start UNKNOWN, removed ones go. */
  async sync(now: number): Promise<void> {
    await this.host.store.monitors.syncMonitors(this.list().map(toMonitorDefinitionRow), now);
  }

  /**
   * Every stored monitor (from any process) with its state, counters, last check and last
   * transition; a monitor defined here but not stored yet shows as UNKNOWN with no checks.
   */
  async status(): Promise<MonitorStatus[]> {
    const stored = await this.host.store.queries.listMonitors();
    const names = new Set(stored.map((m) => m.name));
    const unsynced = this.list()
      .filter((d) => !names.has(d.name))
      .map((d) => this.unstored(d));
    return [...stored, ...unsynced].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One monitor's status, or null when it is neither stored nor defined here. */
  async get(name: string): Promise<MonitorStatus | null> {
    const row = await this.host.store.queries.getMonitor(name);
    if (row) return row;
    const definition = this.definitions.get(name);
    return definition ? this.unstored(definition) : null;
  }

  /** A monitor's stored transitions, newest first. */
  transitions(name: string, options?: { limit?: number }): Promise<MonitorTransitionRow[]> {
    return this.host.store.queries.listTransitions(name, options);
  }

  /** At shutdown: aborts in-flight checks (they are not counted) and any check that starts later. */
  stop(): void {
    this.stopping = true;
    for (const controller of this.inflight) controller.abort(new MonitorStopping());
  }

  private unstored(d: MonitorDefinition): MonitorStatus {
    const now = this.host.now();
    return {
      ...toMonitorDefinitionRow(d),
      ...INITIAL_HYSTERESIS,
      checks: 0,
      lastCheck: null,
      lastTransition: null,
      closedQueues: [],
      createdAt: now,
      updatedAt: now,
    };
  }

  /** The monitor job's handler: one check, one step of the state machine, published. */
  private async runMonitor(d: MonitorDefinition, ctx: JobContext<MonitorJobState>): Promise<void> {
    const previous = readJobState(ctx.state);
    const controller = new AbortController();
    this.inflight.add(controller);
    if (this.stopping) controller.abort(new MonitorStopping());
    let outcome: Awaited<ReturnType<typeof runCheck>>;
    try {
      outcome = await runCheck(d.check, d.timeoutMs, AbortSignal.any([ctx.signal, controller.signal]));
    } finally {
      this.inflight.delete(controller);
    }
    // Aborted from outside (shutdown, lost lease): not counted, the state stays as it was.
    if (outcome.kind === "aborted") throw outcome.error;

    const next = step(previous, outcome.ok, d);
    const seq = previous.checks + 1;
    const check: MonitorCheckResult = {
      at: this.host.now(),
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      error: outcome.ok ? null : outcome.error.message,
    };
    const closedQueues = gateClosed(next.state, d.gateUnknown) ? [...d.gates] : [];
    // Published first: a check whose publishing fails is not counted (ctx.state stays unchanged).
    await this.host.store.monitors.recordCheck({
      definition: toMonitorDefinitionRow(d),
      seq,
      state: next.state,
      successes: next.successes,
      failures: next.failures,
      check,
      transition: next.transition,
      closedQueues,
    });
    ctx.state = {
      v: 1,
      state: next.state,
      successes: next.successes,
      failures: next.failures,
      checks: seq,
      lastCheckAt: check.at,
    };
    const { events } = this.host;
    const counters = { successes: next.successes, failures: next.failures };
    events.emit("monitor:check", { monitor: d.name, seq, state: next.state, ...counters, ...check });
    if (next.transition) {
      events.emit("monitor:transition", {
        monitor: d.name,
        seq,
        at: check.at,
        from: next.transition.from,
        to: next.transition.to,
        ...counters,
        error: check.error,
        gates: [...d.gates],
        closedQueues,
      });
    }
    // The attempt records the failure (outcome, error); the state above is saved with it.
    if (!outcome.ok) throw outcome.error;
  }
}

/** The saved state, or the initial one when there is none (first check) or it is unreadable. */
export function readJobState(value: unknown): MonitorJobState {
  const v = value as Partial<MonitorJobState> | undefined;
  const count = (n: unknown) => (typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : null);
  if (
    v &&
    v.v === 1 &&
    isMonitorState(v.state) &&
    count(v.successes) !== null &&
    count(v.failures) !== null &&
    count(v.checks) !== null
  ) {
    return {
      v: 1,
      state: v.state,
      successes: v.successes!,
      failures: v.failures!,
      checks: v.checks!,
      lastCheckAt: typeof v.lastCheckAt === "number" ? v.lastCheckAt : null,
    };
  }
  return { v: 1, ...INITIAL_HYSTERESIS, checks: 0, lastCheckAt: null };
}
