import type { TickflowEvents } from "./events.ts";
import type { JobDefinition } from "./runtime/registry.ts";
import type { ScheduleDefinition } from "./runtime/schedules.ts";
import type { Store } from "./store/store.ts";

/**
 * What a Tickflow instance lends each feature: the store, the events, its clock, and the two ways
 * a feature adds work — job types it runs and code schedules it stores (reconciled at start).
 */
export interface FeatureHost {
  readonly store: Store;
  readonly events: TickflowEvents;
  now(): number;
  register(job: JobDefinition<never, never>): void;
  addSchedule(schedule: ScheduleDefinition): void;
  hasSchedule(key: string): boolean;
}

/**
 * The one shape of a feature built on the engine (flows, monitors; the heartbeat adds its job
 * types and schedule the same way, through the public facade): what it adds goes through the
 * FeatureHost, it reconciles its stored rows in `sync`, runs its timers between `start` and
 * `stop`, and emits the events declared for it in events.ts.
 */
export interface Feature {
  readonly name: string;
  /** Reconciles what the code defines with the store (at start, before the scheduler runs). */
  sync?(now: number): Promise<unknown>;
  start?(): void;
  stop?(): void | Promise<void>;
}
