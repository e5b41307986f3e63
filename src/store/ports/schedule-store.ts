import type { TickDecision, TickPlan, TickReason } from "../../core/misfire.ts";
import type { CodeDeclaration, DeployDecision } from "../shared/schedule-deploys.ts";
import type { ScheduleDefinitionRow, ScheduleRow } from "./rows.ts";

/**
 * `store.schedules`: the write verbs of schedules and their ticks (spec §2). Every adapter
 * passes the schedule part of test/contract/store-contract.ts. Reads are on `store.queries`.
 */
export interface ScheduleStore {
  /**
   * Reconciles code-defined schedules: inserts new ones, updates changed ones (keeping
   * `nextFireAt` when the trigger is unchanged, else taking `initialNextFireAt`), and deletes
   * code-defined schedules missing from `defs` (their tick history stays). Idempotent. Never
   * touches a runtime schedule: a key stored as runtime is reported in `conflicts`.
   *
   * With `declaration` (what `start()` passes): the code version is recorded in
   * schedule_deploys, and only the newest version reconciles; an older one running beside it
   * (a rolling deploy) writes no schedule (`deploy.role` is then `older`).
   */
  syncSchedules(
    defs: readonly ScheduleDefinitionRow[],
    now: number,
    declaration?: CodeDeclaration,
  ): Promise<SyncReport>;
  /**
   * Creates or changes a runtime schedule (`source: runtime`), in one transaction that waits
   * for a scheduler firing it: a changed trigger keeps a due tick (see scheduleUpdate), and the
   * tick key keeps every nominal time fired once. Throws ScheduleConflictError when the key is
   * a code schedule.
   */
  upsertSchedule(def: ScheduleDefinitionRow, now: number): Promise<UpsertResult>;
  /** Deletes a runtime schedule (its tick history stays). NotFoundError; ScheduleConflictError for code ones. */
  removeSchedule(id: string): Promise<void>;
  /** A running process of this code version checks in (keeps the version live). */
  touchDeploy(codeHash: string, processId: string, now: number): Promise<void>;
  /** A process stops: it no longer holds its code version live. */
  releaseDeploy(processId: string, now: number): Promise<void>;
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
  /** Declared in code but stored as runtime schedules: left as they are. */
  conflicts: string[];
  /** Where this code version stands (null without a declaration). */
  deploy: DeployDecision | null;
}

export interface UpsertResult {
  schedule: ScheduleRow;
  status: "created" | "updated" | "unchanged";
  /** The fields that changed (`trigger`, `payload`, …); empty when created or unchanged. */
  changed: string[];
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
