import diagnostics from "node:diagnostics_channel";
import type { FlowRunStatus, TriggerSource } from "./core/flow-run-state.ts";
import type { MonitorState } from "./core/hysteresis.ts";
import type { TickDecision, TickReason } from "./core/misfire.ts";
import type { DeployDecision } from "./store/shared/schedule-deploys.ts";

/**
 * Everything tickflow reports happens as a typed event, named `noun:verb`. Logs, metrics and
 * node:diagnostics_channel (`tickflow:<event>`) are subscribers; a throwing subscriber is
 * isolated and never breaks the runtime.
 */
export interface TickflowEventMap extends FlowEventMap {
  "job:enqueue": { jobId: string; type: string; queue: string; runAt: number; duplicate: boolean };
  "job:start": {
    jobId: string;
    type: string;
    queue: string;
    attempt: number;
    workerId: string;
    startedAt: number;
    /** The nominal fire time for jobs fired by a schedule (lateness = startedAt − scheduledFor). */
    scheduledFor: number | null;
    scheduleId: string | null;
  };
  "job:succeed": { jobId: string; type: string; attempt: number; durationMs: number };
  "job:fail": {
    jobId: string;
    type: string;
    attempt: number;
    maxAttempts: number;
    durationMs: number;
    outcome: "failed" | "timed_out" | "discarded";
    error: Error;
    retryAt: number | null;
  };
  "job:lease-lost": { jobId: string; type: string; attempt: number };
  "job:rescue": { count: number };
  "schedule:tick": {
    scheduleId: string;
    nominalAt: number;
    decidedAt: number;
    decision: TickDecision;
    reason: TickReason;
    jobId: string | null;
  };
  "schedule:sync": {
    created: string[];
    updated: string[];
    removed: string[];
    /** Declared in code, stored as runtime schedules: left as they are. */
    conflicts?: string[];
    /** Where this process's code version stands among those the store has seen (rolling deploys). */
    deploy?: DeployDecision | null;
  };
  /** A runtime schedule was created, changed or removed (`tickflow.schedules.upsert/remove`). */
  "schedule:change": { key: string; change: "created" | "updated" | "removed"; fields: string[] };
  /** A schedule that could not be read or planned was set aside (state broken); the others fire. */
  "schedule:broken": { scheduleId: string; error: string; at: number };
  "worker:error": { error: Error; where: string };
  /** The event loop was blocked longer than the watchdog's threshold (runtime/event-loop-watchdog.ts). */
  "event-loop:stall": { blockedMs: number; jobTypes: string[]; endedAt: number };
  /** Maintenance folded ticks into rollups and pruned folded ones past retention. */
  "history:round": { folded: number; pruned: number; more: boolean };
  /** A monitor's counted check (spec §5): `seq` numbers the monitor's checks from 1. */
  "monitor:check": MonitorCheckEvent;
  /** A monitor changed state; `closedQueues` are the gated queues it now holds closed. */
  "monitor:transition": MonitorTransitionEvent;
}

export interface MonitorCheckEvent {
  monitor: string;
  seq: number;
  at: number;
  ok: boolean;
  durationMs: number;
  error: string | null;
  state: MonitorState;
  successes: number;
  failures: number;
}

export interface MonitorTransitionEvent {
  monitor: string;
  seq: number;
  at: number;
  from: MonitorState;
  to: MonitorState;
  successes: number;
  failures: number;
  /** The last check's error (for a transition to OFFLINE). */
  error: string | null;
  gates: string[];
  closedQueues: string[];
}

// ── data flows ──────────────────────────────────────────────────────────────

/**
 * Data-flow events (spec §6), part of TickflowEventMap: delivered to `tickflow.on(event, cb)` and
 * published on node:diagnostics_channel as `tickflow:flow:enqueue`, `tickflow:flow:start`,
 * `tickflow:flow:finish`, `tickflow:flow:skip` and `tickflow:flow:sync`.
 *
 * Every run emits `flow:enqueue` (its row is created `pending`), `flow:start` (`in_progress`,
 * right before `run(ctx)`) and `flow:finish` (`success` or `failed`); each carries the flow name,
 * run id, status, attempt and duration (null until the run ends).
 */
export interface FlowEventMap {
  "flow:enqueue": FlowRunEvent & {
    status: "pending";
    /** The queue the flow-run job waits in. */
    queue: string;
    durationMs: null;
  };
  "flow:start": FlowRunEvent & { status: "in_progress"; startedAt: number; durationMs: null };
  "flow:finish": FlowRunEvent & {
    status: Extract<FlowRunStatus, "success" | "failed">;
    /** Null for a run abandoned before it started. */
    startedAt: number | null;
    endedAt: number;
    durationMs: number | null;
    error: Error | null;
    /** The flow-run job runs again: a new run (attempt + 1) is already pending. */
    willRetry: boolean;
    /** Closed because its job ended without finishing it (worker died, job cancelled). */
    abandoned: boolean;
  };
  /** A trigger or a scheduled run was refused; nothing ran. */
  "flow:skip": {
    flow: string;
    source: TriggerSource;
    /** `period_taken`: a heartbeat found its schedule period already run (scheduler or heartbeat). */
    reason: "already_running" | "disabled" | "period_taken";
    /** With `already_running`: the active run and its start (null while pending). */
    activeRunId: string | null;
    activeStartedAt: number | null;
    /** The flow-run job that was refused (scheduled runs); null for a refused trigger. */
    jobId: string | null;
  };
  /** Startup reconciliation of the code's flows with `data_flows`. */
  "flow:sync": { created: string[]; updated: string[]; removed: string[]; restored: string[] };
}

export interface FlowRunEvent {
  flow: string;
  runId: string;
  jobId: string | null;
  source: TriggerSource;
  /** The flow-run job's attempt this run is (1 for the first). */
  attempt: number;
}

export type TickflowEventName = keyof TickflowEventMap;
type Listener<E extends TickflowEventName> = (payload: TickflowEventMap[E]) => void;

export class TickflowEvents {
  private readonly listeners = new Map<TickflowEventName, Set<Listener<never>>>();
  private readonly channels = new Map<string, diagnostics.Channel>();

  /** Subscribes; returns an unsubscribe function. */
  on<E extends TickflowEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Receives what a listener threw or rejected with (the listener stays isolated); Tickflow logs it. */
  onListenerError: ((error: unknown, event: TickflowEventName) => void) | undefined;

  private reportListenerError(error: unknown, event: TickflowEventName): void {
    try {
      this.onListenerError?.(error, event);
    } catch {
      // The reporter itself must not break the emitter either.
    }
  }

  /** Whether an emit of `event` reaches anyone (a listener, or a diagnostics_channel subscriber). */
  observed(event: TickflowEventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0 || this.channel(event).hasSubscribers;
  }

  private channel(event: TickflowEventName): diagnostics.Channel {
    let channel = this.channels.get(event);
    if (!channel) {
      channel = diagnostics.channel(`tickflow:${event}`);
      this.channels.set(event, channel);
    }
    return channel;
  }

  emit<E extends TickflowEventName>(event: E, payload: TickflowEventMap[E]): void {
    const set = this.listeners.get(event);
    if (set) {
      for (const listener of set) {
        try {
          const result: unknown = (listener as Listener<E>)(payload);
          // An async listener's rejection is isolated too (unhandled, it could end the process).
          if (isThenable(result)) result.then(undefined, (error) => this.reportListenerError(error, event));
        } catch (error) {
          // A subscriber's bug must not break job processing: reported, never rethrown.
          this.reportListenerError(error, event);
        }
      }
    }
    const channel = this.channel(event);
    if (channel.hasSubscribers) channel.publish(payload);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
