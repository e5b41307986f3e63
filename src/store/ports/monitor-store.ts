import type { MonitorState } from "../../core/hysteresis.ts";
import type { MonitorCheckResult, MonitorDefinitionRow } from "./rows.ts";

/**
 * The store side of liveness monitors (spec §5): the published state of each monitor, its
 * transition history and the queue gates it holds closed. Every adapter implements it as
 * `store.monitors`, and every adapter's `claimJobs` skips a queue while any gate on it is closed.
 *
 * The counters that drive the state machine live in the monitor job's durable state (ctx.state,
 * spec §3); what is kept here is their published copy, written once per counted check, so that
 * other processes (status, HTTP, gating) can read it without knowing the job.
 */
export interface MonitorStore {
  /**
   * Reconciles the monitors defined in code, in one transaction: new ones are inserted as
   * UNKNOWN, changed definitions are updated (state and counters kept), monitors missing from
   * `defs` are deleted along with their gates (their transitions stay, as history). Each
   * monitor's closed gates are re-derived from its stored state and its definition (a queue taken
   * out of `gates` reopens). Idempotent. Opened queues are hinted to workers.
   */
  syncMonitors(defs: readonly MonitorDefinitionRow[], now: number): Promise<GateChange>;
  /**
   * Publishes one counted check, in one transaction: the monitor's state, counters and last
   * check; the transition, when there is one (idempotent on `(monitor, seq)`, so a check that is
   * recorded twice after a crash leaves one row); and the monitor's closed gates, replaced by
   * `closedQueues`. Queues that opened are hinted to workers (in this process at once; on
   * PostgreSQL to every process through NOTIFY), so their waiting jobs start without a poll.
   */
  recordCheck(record: MonitorCheckRecord): Promise<GateChange>;
}

export interface MonitorCheckRecord {
  /** The checking process's definition: inserted if no process has synced the monitor yet. */
  definition: MonitorDefinitionRow;
  /** The check's number (1 for the first counted check); a transition's idempotency key. */
  seq: number;
  state: MonitorState;
  successes: number;
  failures: number;
  check: MonitorCheckResult;
  transition: { from: MonitorState; to: MonitorState } | null;
  /** The queues this monitor holds closed from now on (replaces its previous set). */
  closedQueues: string[];
}

export interface GateChange {
  /** Queues no gate holds closed any more. */
  opened: string[];
  /** Queues that were open and are closed now. */
  closed: string[];
}
