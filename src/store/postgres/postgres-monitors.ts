import type pg from "pg";
import { gateClosed, type MonitorState } from "../../core/hysteresis.ts";
import type { GateChange, MonitorCheckRecord, MonitorStore } from "../ports/monitor-store.ts";
import type { MonitorDefinitionRow } from "../ports/rows.ts";
import { diffGates } from "../shared/gates.ts";
import { monitorDefinitionValues, transitionValues } from "../shared/monitor-rows.ts";
import { storableCheckRecord, storableMonitorDefinition } from "../shared/storable-records.ts";
import type { PostgresDeps } from "./postgres-deps.ts";

// ── statements (tables from migration 3; unqualified, resolved through search_path) ──────────

/** Serializes monitor writes per schema: they are rare (one per check) and touch shared gate rows. */
export const GATES_LOCK = "SELECT pg_advisory_xact_lock(7412003, hashtext(current_schema()))";
const MONITORS_LOCK = GATES_LOCK;
const CLOSED_QUEUES = "SELECT DISTINCT queue FROM queue_gates";
const MONITOR_NAMES = "SELECT name FROM monitors";
const DELETE_MONITOR_GATES = "DELETE FROM queue_gates WHERE monitor = $1";
const DELETE_MONITOR = "DELETE FROM monitors WHERE name = $1";
const UPSERT_DEFINITION = `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after,
  gates, gate_unknown, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
ON CONFLICT (name) DO UPDATE SET job_type = excluded.job_type, target = excluded.target,
  interval_ms = excluded.interval_ms, timeout_ms = excluded.timeout_ms, rise_after = excluded.rise_after,
  fall_after = excluded.fall_after, gates = excluded.gates, gate_unknown = excluded.gate_unknown,
  updated_at = excluded.updated_at
RETURNING state`;
const UPSERT_CHECK = `INSERT INTO monitors (name, job_type, target, interval_ms, timeout_ms, rise_after, fall_after,
  gates, gate_unknown, state, successes, failures, checks, last_check_at, last_check_ok, last_check_duration_ms,
  last_check_error, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $14, $14)
ON CONFLICT (name) DO UPDATE SET state = excluded.state, successes = excluded.successes,
  failures = excluded.failures, checks = greatest(monitors.checks, excluded.checks),
  last_check_at = excluded.last_check_at, last_check_ok = excluded.last_check_ok,
  last_check_duration_ms = excluded.last_check_duration_ms, last_check_error = excluded.last_check_error,
  updated_at = excluded.updated_at`;
const INSERT_TRANSITION = `INSERT INTO monitor_transitions (monitor, seq, at, from_state, to_state, successes, failures, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (monitor, seq) DO NOTHING`;
/** Makes the monitor's closed gates exactly $2: deletes the others, inserts the missing. */
const REPLACE_GATES = `WITH gone AS (
  DELETE FROM queue_gates WHERE monitor = $1 AND NOT (queue = ANY($2::text[]))
)
INSERT INTO queue_gates (queue, monitor, closed_at)
SELECT q, $1::text, $3::bigint FROM unnest($2::text[]) AS q
ON CONFLICT (queue, monitor) DO NOTHING`;

/** `store.monitors` on PostgreSQL: the monitors, monitor_transitions and queue_gates tables. */
export class PostgresMonitors implements MonitorStore {
  constructor(private readonly deps: PostgresDeps) {}

  async syncMonitors(given: readonly MonitorDefinitionRow[], now: number): Promise<GateChange> {
    const defs = given.map(storableMonitorDefinition);
    return this.write(async (c) => {
      const defined = new Set(defs.map((d) => d.name));
      for (const { name } of (await c.query(MONITOR_NAMES)).rows) {
        if (defined.has(name as string)) continue;
        await c.query(DELETE_MONITOR_GATES, [name]);
        // The monitor is no longer defined: its row goes, its transitions stay as history.
        await c.query(DELETE_MONITOR, [name]);
      }
      for (const d of defs) {
        const { rows } = await c.query(UPSERT_DEFINITION, [...monitorDefinitionValues(d, (b) => b), now]);
        const state = rows[0]!.state as MonitorState;
        await c.query(REPLACE_GATES, [d.name, gateClosed(state, d.gateUnknown) ? d.gates : [], now]);
      }
    });
  }

  async recordCheck(given: MonitorCheckRecord): Promise<GateChange> {
    const record = storableCheckRecord(given);
    const { definition: d, check, transition } = record;
    return this.write(async (c) => {
      await c.query(UPSERT_CHECK, [
        ...monitorDefinitionValues(d, (b) => b),
        record.state,
        record.successes,
        record.failures,
        record.seq,
        check.at,
        check.ok,
        check.durationMs,
        check.error,
      ]);
      if (transition) {
        await c.query(INSERT_TRANSITION, transitionValues(record, transition));
      }
      await c.query(REPLACE_GATES, [d.name, record.closedQueues, check.at]);
    });
  }

  /** Runs `fn` under the monitors lock; returns which queues opened and closed, and wakes workers. */
  private async write(fn: (client: pg.PoolClient) => Promise<void>): Promise<GateChange> {
    const change = await this.deps.transaction(async (c) => {
      await c.query(MONITORS_LOCK);
      const before = await closedQueues(c);
      await fn(c);
      const change = diffGates(before, await closedQueues(c));
      await this.deps.notify(c, wakeFor(change.opened));
      return change;
    });
    this.deps.notifyLocal(wakeFor(change.opened));
    return change;
  }
}

async function closedQueues(c: pg.PoolClient): Promise<Set<string>> {
  return new Set((await c.query(CLOSED_QUEUES)).rows.map((r) => r.queue as string));
}

/** A hint that work in these queues is claimable now (runAt 0 wakes a sleeping pool at once). */
const wakeFor = (queues: readonly string[]) => queues.map((queue) => ({ queue, runAt: 0 }));
