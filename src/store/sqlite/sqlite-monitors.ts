import { gateClosed, type MonitorState } from "../../core/hysteresis.ts";
import type { GateChange, MonitorCheckRecord, MonitorStore } from "../ports/monitor-store.ts";
import type { MonitorDefinitionRow } from "../ports/rows.ts";
import { diffGates } from "../shared/gates.ts";
import { monitorDefinitionValues, transitionValues } from "../shared/monitor-rows.ts";
import { storableCheckRecord, storableMonitorDefinition } from "../shared/storable-records.ts";
import type { SqliteDeps } from "./sqlite-deps.ts";

// ── statements (tables from migration 3) ────────────────────────────────────

const UPSERT_DEFINITION = `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after,
         gates, gate_unknown, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET job_type = excluded.job_type, target = excluded.target,
         interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, rise_after = excluded.rise_after,
         fall_after = excluded.fall_after, gates = excluded.gates, gate_unknown = excluded.gate_unknown,
         updated_at = excluded.updated_at
       RETURNING state`;
const MONITOR_NAMES = "SELECT name FROM monitors";
const DELETE_MONITOR_GATES = "DELETE FROM queue_gates WHERE monitor = ?";
const DELETE_MONITOR = "DELETE FROM monitors WHERE name = ?";
/** Inserted when missing (a worker ran the check before any process synced the monitor). */
const UPSERT_CHECK = `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after,
           gates, gate_unknown, state, successes, failures, checks, last_check_at, last_check_ok,
           last_check_duration_ms, last_check_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET state = excluded.state, successes = excluded.successes,
           failures = excluded.failures, checks = max(monitors.checks, excluded.checks),
           last_check_at = excluded.last_check_at, last_check_ok = excluded.last_check_ok,
           last_check_duration_ms = excluded.last_check_duration_ms, last_check_error = excluded.last_check_error,
           updated_at = excluded.updated_at`;
const INSERT_TRANSITION = `INSERT INTO monitor_transitions (monitor, seq, at, from_state, to_state, successes, failures,
           error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor, seq) DO NOTHING`;
const MONITOR_GATES = "SELECT queue FROM queue_gates WHERE monitor = ?";
const OPEN_GATE = "DELETE FROM queue_gates WHERE queue = ? AND monitor = ?";
const CLOSE_GATE = "INSERT INTO queue_gates (queue, monitor, closed_at) VALUES (?, ?, ?)";
const CLOSED_QUEUES = "SELECT DISTINCT queue FROM queue_gates";

const bool = (b: boolean) => (b ? 1 : 0);

/** `store.monitors` on SQLite: the monitors, monitor_transitions and queue_gates tables (migration 3). */
export class SqliteMonitors implements MonitorStore {
  constructor(private readonly deps: SqliteDeps) {}

  async syncMonitors(given: readonly MonitorDefinitionRow[], now: number): Promise<GateChange> {
    const defs = given.map(storableMonitorDefinition);
    const { stmt } = this.deps;
    const upsert = stmt(UPSERT_DEFINITION);
    return this.gateWrite(() => {
      const defined = new Set(defs.map((d) => d.name));
      for (const name of stmt(MONITOR_NAMES).pluck().all() as string[]) {
        if (defined.has(name)) continue;
        stmt(DELETE_MONITOR_GATES).run(name);
        // The monitor is no longer defined: its row goes, its transitions stay as history.
        stmt(DELETE_MONITOR).run(name);
      }
      for (const d of defs) {
        const { state } = upsert.get(...monitorDefinitionValues(d, bool), now, now) as {
          state: MonitorState;
        };
        this.replaceGates(d.name, gateClosed(state, d.gateUnknown) ? d.gates : [], now);
      }
    });
  }

  async recordCheck(given: MonitorCheckRecord): Promise<GateChange> {
    const record = storableCheckRecord(given);
    const { check, transition, definition: d } = record;
    const { stmt } = this.deps;
    return this.gateWrite(() => {
      stmt(UPSERT_CHECK).run(
        ...monitorDefinitionValues(d, bool),
        record.state,
        record.successes,
        record.failures,
        record.seq,
        check.at,
        bool(check.ok),
        check.durationMs,
        check.error,
        check.at,
        check.at,
      );
      if (transition) {
        stmt(INSERT_TRANSITION).run(...transitionValues(record, transition));
      }
      this.replaceGates(d.name, record.closedQueues, check.at);
    });
  }

  /** Runs `fn` in a write; returns which queues opened and closed, and wakes workers for the opened. */
  private async gateWrite(fn: () => void): Promise<GateChange> {
    const change = await this.deps.write(() => {
      const before = this.closedQueueSet();
      fn();
      return diffGates(before, this.closedQueueSet());
    });
    // runAt 0: a sleeping pool wakes at once.
    this.deps.hint(change.opened.map((queue) => ({ queue, runAt: 0 })));
    return change;
  }

  /** Inside a write: makes the monitor's closed gates exactly `queues`. */
  private replaceGates(monitor: string, queues: readonly string[], now: number): void {
    const { stmt } = this.deps;
    const current = new Set(stmt(MONITOR_GATES).pluck().all(monitor) as string[]);
    const wanted = new Set(queues);
    for (const queue of current) if (!wanted.has(queue)) stmt(OPEN_GATE).run(queue, monitor);
    for (const queue of wanted) if (!current.has(queue)) stmt(CLOSE_GATE).run(queue, monitor, now);
  }

  private closedQueueSet(): Set<string> {
    return new Set(this.deps.stmt(CLOSED_QUEUES).pluck().all() as string[]);
  }
}
