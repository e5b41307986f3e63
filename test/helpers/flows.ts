import diagnostics from "node:diagnostics_channel";
import type { FlowEventMap } from "../../src/events.ts";
import type { FlowDefinition } from "../../src/flows/define-flow.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow, type TickflowOptions } from "../../src/tickflow.ts";
import { createTestSqliteStore } from "./sqlite.ts";

export type FlowEventName = keyof FlowEventMap;
export type RecordedFlowEvent = {
  [E in FlowEventName]: { event: E; payload: FlowEventMap[E] };
}[FlowEventName];

/** Records flow events delivered to `tickflow.on`. */
export function recordFlowEvents(tickflow: Tickflow): RecordedFlowEvent[] {
  const seen: RecordedFlowEvent[] = [];
  for (const event of ["flow:enqueue", "flow:start", "flow:finish", "flow:skip", "flow:sync"] as const) {
    tickflow.on(event, (payload) => seen.push({ event, payload } as RecordedFlowEvent));
  }
  return seen;
}

/** Records what node:diagnostics_channel publishes on `tickflow:flow:*`; `stop()` unsubscribes. */
export function recordFlowDiagnostics(): { seen: RecordedFlowEvent[]; stop(): void } {
  const seen: RecordedFlowEvent[] = [];
  const subscriptions = (["flow:enqueue", "flow:start", "flow:finish", "flow:skip"] as const).map((event) => {
    const onMessage = (payload: unknown) => seen.push({ event, payload } as RecordedFlowEvent);
    diagnostics.subscribe(`tickflow:${event}`, onMessage);
    return () => diagnostics.unsubscribe(`tickflow:${event}`, onMessage);
  });
  return {
    seen,
    stop: () => {
      for (const off of subscriptions) off();
    },
  };
}

/** A deferred: a flow's `run` awaits `promise`; the test calls `release()`. */
export function gate(): { promise: Promise<void>; release(): void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/**
 * Tickflow instances on one temp SQLite file (each with its own store: separate connections, as
 * separate processes would have). `cleanup()` stops them all and removes the file.
 */
export async function flowTestbed(): Promise<{
  store: Store;
  file: string;
  instance(flows: FlowDefinition[], options?: Partial<TickflowOptions>): Promise<Tickflow>;
  cleanup(): Promise<void>;
}> {
  const h = await createTestSqliteStore();
  const instances: Tickflow[] = [];
  return {
    store: h.store,
    file: h.file,
    async instance(flows, options = {}) {
      const store = await h.openAnother();
      const tickflow = new Tickflow(store, { flows, pollIntervalMs: 20, ...options }, false);
      instances.push(tickflow);
      return tickflow;
    },
    async cleanup() {
      for (const tickflow of instances) await tickflow.stop(0);
      await h.cleanup();
    },
  };
}
