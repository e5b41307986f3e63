import type { TickDecision, TickPlan, TickReason } from "../../core/misfire.ts";
import type { ScheduleDefinitionRow, ScheduleRow } from "./rows.ts";

/**
 * `store.schedules`: the write verbs of schedules and their ticks (spec §2). Every adapter
 * passes the schedule part of test/contract/store-contract.ts. Reads are on `store.queries`.
 */
export interface ScheduleStore {
  /**
   * Reconciles code-defined schedules: inserts new ones, updates changed ones (keeping
   * `nextFireAt` when the trigger is unchanged, else taking `initialNextFireAt`), and deletes
   * code-defined schedules missing from `defs` (their tick history stays). Idempotent.
   */
  syncSchedules(defs: readonly ScheduleDefinitionRow[], now: number): Promise<SyncReport>;
  /**
   * Decides and records every due tick of up to `limit` due schedules in one transaction per
   * schedule: tick rows keyed `(scheduleId, nominalAt)` (insert-or-ignore), one job per inserted
   * `fired` tick, `nextFireAt` advanced. Two schedulers racing on the same tick: one wins, the
   * other records nothing. `plan` is pure (core/misfire) and must not do I/O.
   */
  fireDueSchedules(request: FireRequest): Promise<FiredTick[]>;
  /** Throws NotFoundError for an unknown schedule. */
  setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow>;
}

export interface SyncReport {
  created: string[];
  updated: string[];
  removed: string[];
}

export interface FireRequest {
  now: number;
  limit: number;
  /** May throw for a schedule it cannot plan: that schedule is set aside as broken, the rest fire. */
  plan(schedule: ScheduleRow, previousRunUnfinished: boolean): TickPlan;
  /** Told of each schedule this call set aside (state broken), with why. */
  onBroken?(scheduleId: string, error: string): void;
}

export interface FiredTick {
  scheduleId: string;
  nominalAt: number;
  decision: TickDecision;
  reason: TickReason;
  jobId: string | null;
}
