import type { LimitRule } from "../../core/job-limits.ts";
import type { LimitUsageRow, TypePauseRow } from "../ports/rows.ts";
import { limitUsageRows } from "../shared/limit-usage.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { RUNNING_USAGE } from "./sqlite-limited-claim.ts";
import { pendingState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const PAUSED_TYPES = "SELECT type, paused_at FROM type_pauses ORDER BY type";
const WAITING_USAGE = `SELECT queue, type, concurrency_key, count(*) AS n FROM jobs
       WHERE ${pendingState()} AND run_at <= ? GROUP BY queue, type, concurrency_key`;
const ALL_BUCKETS = "SELECT name, key, tokens, refilled_at FROM limit_buckets";
const CLOSED_QUEUES = "SELECT DISTINCT queue FROM queue_gates";

/** The limit reads of SQLiteQueries (sqlite-reads.ts delegates here). */
export function listPausedTypes(deps: Pick<SqliteDeps, "stmt">): TypePauseRow[] {
  return (deps.stmt(PAUSED_TYPES).all() as Row[]).map((r) => ({
    type: r.type as string,
    pausedAt: r.paused_at as number,
  }));
}

export function limitUsage(
  deps: Pick<SqliteDeps, "stmt">,
  rules: readonly LimitRule[],
  now: number,
): LimitUsageRow[] {
  if (rules.length === 0) return [];
  const all = (sql: string, ...params: unknown[]) => deps.stmt(sql).all(...params) as Row[];
  return limitUsageRows(
    rules,
    {
      running: all(RUNNING_USAGE),
      waiting: all(WAITING_USAGE, now),
      buckets: all(ALL_BUCKETS),
      pausedTypes: new Set(listPausedTypes(deps).map((p) => p.type)),
      closedQueues: new Set(all(CLOSED_QUEUES).map((r) => r.queue as string)),
    },
    now,
  );
}
