import type { MonitorState } from "../../core/hysteresis.ts";
import type { MonitorCheckRecord } from "../ports/monitor-store.ts";
import type { MonitorDefinitionRow, MonitorRow, MonitorTransitionRow } from "../ports/rows.ts";
import type { DbRow } from "./rows.ts";

/**
 * Monitor row mapping shared by both adapters (see rows.ts for why Number() and Boolean() are
 * exact on both drivers). The closed queues and the last transition come from the adapter: a
 * subquery on PostgreSQL, two lookups on SQLite.
 */
export function toMonitorRow(r: DbRow, closedQueues: string[], last: DbRow | null): MonitorRow {
  return {
    name: r.name as string,
    jobType: r.job_type as string,
    target: r.target as string,
    intervalMs: Number(r.interval_ms),
    timeoutMs: Number(r.timeout_ms),
    riseAfter: Number(r.rise_after),
    fallAfter: Number(r.fall_after),
    gates: JSON.parse(r.gates as string) as string[],
    gateUnknown: Boolean(r.gate_unknown),
    state: r.state as MonitorState,
    successes: Number(r.successes),
    failures: Number(r.failures),
    checks: Number(r.checks),
    lastCheck:
      r.last_check_at === null
        ? null
        : {
            at: Number(r.last_check_at),
            ok: Boolean(r.last_check_ok),
            durationMs: Number(r.last_check_duration_ms),
            error: (r.last_check_error as string | null) ?? null,
          },
    lastTransition: last ? toTransitionRow(last) : null,
    closedQueues,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toTransitionRow(r: DbRow): MonitorTransitionRow {
  return {
    monitor: r.monitor as string,
    seq: Number(r.seq),
    at: Number(r.at),
    from: r.from_state as MonitorState,
    to: r.to_state as MonitorState,
    successes: Number(r.successes),
    failures: Number(r.failures),
    error: (r.error as string | null) ?? null,
  };
}

/**
 * A monitor definition's columns, in the order both adapters list them: name … gate_unknown.
 * `gateUnknown` as the driver binds a boolean (1/0 on SQLite, true/false on PostgreSQL).
 */
export function monitorDefinitionValues(d: MonitorDefinitionRow, bool: (b: boolean) => unknown): unknown[] {
  return [
    d.name,
    d.jobType,
    d.target,
    d.intervalMs,
    d.timeoutMs,
    d.riseAfter,
    d.fallAfter,
    JSON.stringify(d.gates),
    bool(d.gateUnknown),
  ];
}

/** A transition row's values, in the order both adapters insert them: monitor, seq … error. */
export function transitionValues(
  record: MonitorCheckRecord,
  transition: { from: MonitorState; to: MonitorState },
): unknown[] {
  const { definition, check } = record;
  return [
    definition.name,
    record.seq,
    check.at,
    transition.from,
    transition.to,
    record.successes,
    record.failures,
    check.ok ? null : check.error,
  ];
}
