import type Database from "better-sqlite3";
import { gateClosed, type MonitorState } from "../../core/hysteresis.ts";
import {
  diffGates,
  type GateChange,
  type MonitorCheckRecord,
  type MonitorDefinitionRow,
  type MonitorRow,
  type MonitorStore,
  type MonitorTransitionRow,
  type QueueGateRow,
} from "../monitor-store.ts";

type Row = Record<string, unknown>;

/** A monitor definition's columns, in the order every statement here lists them: name … gate_unknown. */
const definitionValues = (d: MonitorDefinitionRow): unknown[] => [
  d.name,
  d.jobType,
  d.target,
  d.intervalMs,
  d.timeoutMs,
  d.riseAfter,
  d.fallAfter,
  JSON.stringify(d.gates),
  d.gateUnknown ? 1 : 0,
];

export interface SqliteMonitorStoreDeps {
  /** The adapter's prepared statement for `sql` (one cache per connection). */
  stmt(sql: string): Database.Statement;
  /** The adapter's BEGIN IMMEDIATE transaction with SQLITE_BUSY retries. */
  write<T>(fn: () => T): Promise<T>;
  /** Wakes workers of this file in this process: these queues may have claimable jobs now. */
  wake(queues: readonly string[]): void;
}

/** `store.monitors` on SQLite: the monitors, monitor_transitions and queue_gates tables (migration 3). */
export class SqliteMonitorStore implements MonitorStore {
  constructor(private readonly deps: SqliteMonitorStoreDeps) {}

  private stmt(sql: string): Database.Statement {
    return this.deps.stmt(sql);
  }

  async syncMonitors(defs: readonly MonitorDefinitionRow[], now: number): Promise<GateChange> {
    const upsert = this.stmt(
      `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after, gates,
         gate_unknown, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET job_type = excluded.job_type, target = excluded.target,
         interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, rise_after = excluded.rise_after,
         fall_after = excluded.fall_after, gates = excluded.gates, gate_unknown = excluded.gate_unknown,
         updated_at = excluded.updated_at
       RETURNING state`,
    );
    const change = await this.deps.write(() => {
      const before = this.closedQueueSet();
      const defined = new Set(defs.map((d) => d.name));
      for (const name of this.stmt("SELECT name FROM monitors").pluck().all() as string[]) {
        if (defined.has(name)) continue;
        this.stmt("DELETE FROM queue_gates WHERE monitor = ?").run(name);
        // The monitor is no longer defined: its row goes, its transitions stay as history.
        this.stmt("DELETE FROM monitors WHERE name = ?").run(name);
      }
      for (const d of defs) {
        const { state } = upsert.get(...definitionValues(d), now, now) as { state: MonitorState };
        this.replaceGates(d.name, gateClosed(state, d.gateUnknown) ? d.gates : [], now);
      }
      return diffGates(before, this.closedQueueSet());
    });
    this.deps.wake(change.opened);
    return change;
  }

  async recordCheck(record: MonitorCheckRecord): Promise<GateChange> {
    const { check, transition } = record;
    const change = await this.deps.write(() => {
      const before = this.closedQueueSet();
      const d = record.definition;
      // Inserted when missing (a worker ran the check before any process synced the monitor).
      this.stmt(
        `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after, gates,
           gate_unknown, state, successes, failures, checks, last_check_at, last_check_ok, last_check_duration_ms,
           last_check_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET state = excluded.state, successes = excluded.successes,
           failures = excluded.failures, checks = max(monitors.checks, excluded.checks),
           last_check_at = excluded.last_check_at, last_check_ok = excluded.last_check_ok,
           last_check_duration_ms = excluded.last_check_duration_ms, last_check_error = excluded.last_check_error,
           updated_at = excluded.updated_at`,
      ).run(
        ...definitionValues(d),
        record.state,
        record.successes,
        record.failures,
        record.seq,
        check.at,
        check.ok ? 1 : 0,
        check.durationMs,
        check.error,
        check.at,
        check.at,
      );
      if (transition) {
        this.stmt(
          `INSERT INTO monitor_transitions (monitor, seq, at, from_state, to_state, successes, failures, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor, seq) DO NOTHING`,
        ).run(
          d.name,
          record.seq,
          check.at,
          transition.from,
          transition.to,
          record.successes,
          record.failures,
          check.ok ? null : check.error,
        );
      }
      this.replaceGates(d.name, record.closedQueues, check.at);
      return diffGates(before, this.closedQueueSet());
    });
    this.deps.wake(change.opened);
    return change;
  }

  /** Inside a write: makes the monitor's closed gates exactly `queues`. */
  private replaceGates(monitor: string, queues: readonly string[], now: number): void {
    const current = new Set(
      this.stmt("SELECT queue FROM queue_gates WHERE monitor = ?").pluck().all(monitor) as string[],
    );
    const wanted = new Set(queues);
    for (const queue of current) {
      if (!wanted.has(queue))
        this.stmt("DELETE FROM queue_gates WHERE queue = ? AND monitor = ?").run(queue, monitor);
    }
    for (const queue of wanted) {
      if (!current.has(queue))
        this.stmt("INSERT INTO queue_gates (queue, monitor, closed_at) VALUES (?, ?, ?)").run(
          queue,
          monitor,
          now,
        );
    }
  }

  private closedQueueSet(): Set<string> {
    return new Set(this.stmt("SELECT DISTINCT queue FROM queue_gates").pluck().all() as string[]);
  }

  async getMonitor(name: string): Promise<MonitorRow | null> {
    const row = this.stmt("SELECT * FROM monitors WHERE name = ?").get(name) as Row | undefined;
    return row ? this.toMonitorRow(row) : null;
  }

  async listMonitors(): Promise<MonitorRow[]> {
    return (this.stmt("SELECT * FROM monitors ORDER BY name").all() as Row[]).map((r) =>
      this.toMonitorRow(r),
    );
  }

  async listTransitions(monitor: string, options: { limit?: number } = {}): Promise<MonitorTransitionRow[]> {
    const rows = this.stmt(
      "SELECT * FROM monitor_transitions WHERE monitor = ? ORDER BY seq DESC, id DESC LIMIT ?",
    ).all(monitor, options.limit ?? 100) as Row[];
    return rows.map(toTransitionRow);
  }

  async listClosedGates(): Promise<QueueGateRow[]> {
    const rows = this.stmt("SELECT * FROM queue_gates ORDER BY queue, monitor").all() as Row[];
    return rows.map((r) => ({
      queue: r.queue as string,
      monitor: r.monitor as string,
      closedAt: r.closed_at as number,
    }));
  }

  private toMonitorRow(r: Row): MonitorRow {
    const name = r.name as string;
    const last = this.stmt(
      "SELECT * FROM monitor_transitions WHERE monitor = ? ORDER BY seq DESC, id DESC LIMIT 1",
    ).get(name) as Row | undefined;
    const closed = this.stmt("SELECT queue FROM queue_gates WHERE monitor = ? ORDER BY queue")
      .pluck()
      .all(name) as string[];
    return {
      name,
      jobType: r.job_type as string,
      target: r.target as string,
      intervalMs: r.interval_ms as number,
      timeoutMs: r.timeout_ms as number,
      riseAfter: r.rise_after as number,
      fallAfter: r.fall_after as number,
      gates: JSON.parse(r.gates as string) as string[],
      gateUnknown: r.gate_unknown === 1,
      state: r.state as MonitorState,
      successes: r.successes as number,
      failures: r.failures as number,
      checks: r.checks as number,
      lastCheck:
        r.last_check_at === null
          ? null
          : {
              at: r.last_check_at as number,
              ok: r.last_check_ok === 1,
              durationMs: r.last_check_duration_ms as number,
              error: r.last_check_error as string | null,
            },
      lastTransition: last ? toTransitionRow(last) : null,
      closedQueues: closed,
      createdAt: r.created_at as number,
      updatedAt: r.updated_at as number,
    };
  }
}

function toTransitionRow(r: Row): MonitorTransitionRow {
  return {
    monitor: r.monitor as string,
    seq: r.seq as number,
    at: r.at as number,
    from: r.from_state as MonitorState,
    to: r.to_state as MonitorState,
    successes: r.successes as number,
    failures: r.failures as number,
    error: r.error as string | null,
  };
}
