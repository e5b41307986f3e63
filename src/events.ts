import diagnostics from "node:diagnostics_channel";
import type { TickDecision, TickReason } from "./core/misfire.ts";

/**
 * Everything tickflow reports happens as a typed event, named `noun:verb`. Logs, metrics and
 * node:diagnostics_channel (`tickflow:<event>`) are subscribers; a throwing subscriber is
 * isolated and never breaks the runtime.
 */
export interface TickflowEventMap {
  "job:enqueue": { jobId: string; type: string; queue: string; runAt: number; duplicate: boolean };
  "job:start": {
    jobId: string;
    type: string;
    queue: string;
    attempt: number;
    workerId: string;
    startedAt: number;
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
  "schedule:sync": { created: string[]; updated: string[]; removed: string[] };
  "worker:error": { error: Error; where: string };
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

  emit<E extends TickflowEventName>(event: E, payload: TickflowEventMap[E]): void {
    const set = this.listeners.get(event);
    if (set) {
      for (const listener of set) {
        try {
          (listener as Listener<E>)(payload);
        } catch {
          // A subscriber's bug must not break job processing; it is the subscriber's to log.
        }
      }
    }
    let channel = this.channels.get(event);
    if (!channel) {
      channel = diagnostics.channel(`tickflow:${event}`);
      this.channels.set(event, channel);
    }
    if (channel.hasSubscribers) channel.publish(payload);
  }
}
