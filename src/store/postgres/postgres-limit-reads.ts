import type { LimitRule } from "../../core/job-limits.ts";
import type { LimitUsageRow, TypePauseRow } from "../ports/rows.ts";
import { limitUsageRows } from "../shared/limit-usage.ts";
import { PostgresAlertReads } from "./postgres-alert-reads.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { RUNNING_USAGE } from "./postgres-limited-claim.ts";
import { PENDING } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const PAUSED_TYPES = "SELECT type, paused_at FROM type_pauses ORDER BY type";
const WAITING_USAGE = `SELECT queue, type, concurrency_key, count(*) AS n FROM jobs
WHERE state IN ${PENDING} AND run_at <= $1 GROUP BY queue, type, concurrency_key`;
const ALL_BUCKETS = "SELECT name, key, tokens, refilled_at FROM limit_buckets";
const CLOSED_QUEUES = "SELECT DISTINCT queue FROM queue_gates";

/** The limit reads of PostgresReads (postgres-reads.ts extends this; it extends the alert reads). */
export class PostgresLimitReads extends PostgresAlertReads {
  constructor(private readonly limitDeps: Pick<PostgresDeps, "read">) {
    super(limitDeps);
  }

  listPausedTypes(): Promise<TypePauseRow[]> {
    return listPausedTypes(this.limitDeps);
  }

  limitUsage(rules: readonly LimitRule[], now: number): Promise<LimitUsageRow[]> {
    return limitUsage(this.limitDeps, rules, now);
  }
}

async function listPausedTypes(deps: Pick<PostgresDeps, "read">): Promise<TypePauseRow[]> {
  return (await deps.read(PAUSED_TYPES)).map((r) => ({
    type: r.type as string,
    pausedAt: Number(r.paused_at),
  }));
}

async function limitUsage(
  deps: Pick<PostgresDeps, "read">,
  rules: readonly LimitRule[],
  now: number,
): Promise<LimitUsageRow[]> {
  if (rules.length === 0) return [];
  const [running, waiting, buckets, paused, closed] = await Promise.all([
    deps.read(RUNNING_USAGE),
    deps.read(WAITING_USAGE, [now]),
    deps.read(ALL_BUCKETS),
    listPausedTypes(deps),
    deps.read(CLOSED_QUEUES),
  ]);
  return limitUsageRows(
    rules,
    {
      running,
      waiting,
      buckets,
      pausedTypes: new Set(paused.map((p) => p.type)),
      closedQueues: new Set(closed.map((r) => r.queue as string)),
    },
    now,
  );
}
