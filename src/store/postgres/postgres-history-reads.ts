import { emptyCounts, type Rollup, type RollupCounts } from "../../core/rollup.ts";
import type { FoldTickRow } from "../ports/rows.ts";
import type { RollupQuery, RollupSumQuery, TickPageQuery } from "../ports/store-queries.ts";
import {
  COUNT_COLUMNS,
  countsFromRow,
  ROLLUP_COLUMNS,
  type RollupRow,
  rollupFromRow,
} from "../shared/history-fold.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { PostgresLimitReads } from "./postgres-limit-reads.ts";
import { HISTORY_WATERMARK } from "./postgres-sql.ts";

/** Each schedule's newest ticks through the primary key, one LATERAL walk per schedule. */
const RECENT_TICKS = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM unnest($1::text[]) AS s(id)
CROSS JOIN LATERAL (
  SELECT * FROM schedule_ticks WHERE schedule_id = s.id ORDER BY nominal_at DESC LIMIT $2
) AS t
LEFT JOIN jobs AS j ON j.id = t.job_id
ORDER BY t.schedule_id, t.nominal_at DESC`;

const TICK_PAGE = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE t.schedule_id = $1 AND t.nominal_at >= $2 AND t.nominal_at < $3
ORDER BY t.nominal_at DESC LIMIT $4`;

const IN_WINDOW = "subject = $1 AND period = $2 AND bucket_start >= $3 AND bucket_start < $4";
const LIST_ROLLUPS = (named: boolean) =>
  `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE ${IN_WINDOW} ${named ? "AND name = ANY($5::text[])" : ""} ORDER BY name COLLATE "C", bucket_start`;
/** One window's sums (the covering index of migration 13). */
const SUM_ROLLUPS = `SELECT name, ${COUNT_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(", ")}
FROM rollups WHERE subject = $1 AND period = $2 AND bucket_start >= $3 AND bucket_start < $4
GROUP BY name`;

/** The history reads of `store.queries` on PostgreSQL (ports/store-queries.ts): rollups and tick pages. */
export class PostgresHistoryReads extends PostgresLimitReads {
  constructor(private readonly historyDeps: Pick<PostgresDeps, "read">) {
    super(historyDeps);
  }

  async listRollups(query: RollupQuery): Promise<Rollup[]> {
    if (query.names?.length === 0) return [];
    const named = query.names !== undefined;
    const rows = await this.historyDeps.read(LIST_ROLLUPS(named), windowValues(query));
    return (rows as unknown as RollupRow[]).map(rollupFromRow);
  }

  async sumRollups(query: RollupSumQuery): Promise<Map<string, RollupCounts[]>> {
    const { subject, period, since, to } = query;
    const windows = await Promise.all(
      since.map((from) => this.historyDeps.read(SUM_ROLLUPS, [subject, period, from, to])),
    );
    const sums = new Map<string, RollupCounts[]>();
    windows.forEach((rows, w) => {
      for (const row of rows) {
        const name = String(row.name);
        let counts = sums.get(name);
        if (!counts) sums.set(name, (counts = since.map(() => emptyCounts())));
        counts[w] = countsFromRow(row);
      }
    });
    return sums;
  }

  async recentTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, FoldTickRow[]>> {
    const result = new Map<string, FoldTickRow[]>(scheduleIds.map((id) => [id, []]));
    if (scheduleIds.length === 0) return result;
    const rows = (await this.historyDeps.read(RECENT_TICKS, [
      scheduleIds,
      limit,
    ])) as unknown as FoldTickRow[];
    for (const row of rows) result.get(row.schedule_id)?.push(row);
    return result;
  }

  async tickPage(scheduleId: string, page: TickPageQuery): Promise<FoldTickRow[]> {
    const { since = 0, before = Number.MAX_SAFE_INTEGER, limit } = page;
    return (await this.historyDeps.read(TICK_PAGE, [
      scheduleId,
      since,
      before,
      limit,
    ])) as unknown as FoldTickRow[];
  }

  async ticksFoldedUntil(): Promise<number | null> {
    const [mark] = await this.historyDeps.read(HISTORY_WATERMARK, ["ticks"]);
    return mark ? Number(mark.at) : null;
  }
}

const windowValues = (q: RollupQuery): unknown[] => [
  q.subject,
  q.period,
  q.from,
  q.to,
  ...(q.names ? [q.names] : []),
];
