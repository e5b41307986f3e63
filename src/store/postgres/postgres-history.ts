import { rollupKey } from "../../core/rollup.ts";
import type { FoldReport, FoldRequest, HistoryStore } from "../ports/history-store.ts";
import type { FoldTickRow } from "../ports/rows.ts";
import {
  foldOnto,
  ROLLUP_COLUMNS,
  type RollupRow,
  rollupFromRow,
  rollupValues,
  tickSample,
} from "../shared/history-fold.ts";
import type { PostgresDeps } from "./postgres-deps.ts";
import { HISTORY_WATERMARK } from "./postgres-sql.ts";

/** Ticks after the watermark and before the cut-off, oldest first, joined with their jobs. */
const TICKS_TO_FOLD = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t
LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE (t.nominal_at, t.schedule_id) > ($1, $2) AND t.nominal_at < $3
ORDER BY t.nominal_at, t.schedule_id
LIMIT $4`;
/** Locked: two processes folding at once take turns instead of counting a batch twice. */
const WATERMARK_FOR_UPDATE = "SELECT at, key FROM history_watermarks WHERE source = $1 FOR UPDATE";
const SET_WATERMARK = `
INSERT INTO history_watermarks (source, at, key) VALUES ($1, $2, $3)
ON CONFLICT (source) DO UPDATE SET at = excluded.at, key = excluded.key`;
const ROLLUPS_OF = `
SELECT ${ROLLUP_COLUMNS} FROM rollups
WHERE (subject, name, period, bucket_start) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]))
FOR UPDATE`;
const UPSERT_ROLLUPS = `
INSERT INTO rollups (${ROLLUP_COLUMNS})
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
  $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[],
  $16::bigint[], $17::bigint[])
ON CONFLICT (subject, name, period, bucket_start) DO UPDATE SET
  total = excluded.total, fired = excluded.fired, missed = excluded.missed, skipped = excluded.skipped,
  succeeded = excluded.succeeded, failed = excluded.failed, cancelled = excluded.cancelled,
  on_time = excluded.on_time, late = excluded.late, latency = excluded.latency, duration = excluded.duration,
  up_ms = excluded.up_ms, observed_ms = excluded.observed_ms`;
const PRUNE_TICKS = `
DELETE FROM schedule_ticks WHERE ctid IN (
  SELECT ctid FROM schedule_ticks WHERE nominal_at < $1 ORDER BY nominal_at LIMIT $2)`;
/** HistoryStore on PostgreSQL: folds ticks into rollups and prunes them (ports/history-store.ts). */
export class PostgresHistory implements HistoryStore {
  constructor(private readonly deps: Pick<PostgresDeps, "transaction" | "read">) {}

  foldTicks(request: FoldRequest): Promise<FoldReport> {
    return this.deps.transaction(async (client) => {
      await client.query(
        "INSERT INTO history_watermarks (source, at, key) VALUES ('ticks', -1, '') ON CONFLICT (source) DO NOTHING",
      );
      const [mark] = (await client.query(WATERMARK_FOR_UPDATE, ["ticks"])).rows as {
        at: string;
        key: string;
      }[];
      const rows = (
        await client.query(TICKS_TO_FOLD, [Number(mark!.at), mark!.key, request.before, request.batch])
      ).rows as FoldTickRow[];
      if (rows.length === 0) return { folded: 0, more: false };
      const samples = rows.map((row) => tickSample(row, request.now));
      const keys = foldOnto(samples, () => undefined);
      const columns = (i: number) => keys.map((r) => rollupValues(r)[i]);
      const stored = new Map(
        (
          (await client.query(ROLLUPS_OF, [columns(0), columns(1), columns(2), columns(3)]))
            .rows as RollupRow[]
        )
          .map(rollupFromRow)
          .map((r) => [rollupKey(r), r] as const),
      );
      const merged = foldOnto(samples, (r) => stored.get(rollupKey(r)));
      const values = merged.map(rollupValues);
      await client.query(
        UPSERT_ROLLUPS,
        Array.from({ length: 17 }, (_, i) => values.map((v) => v[i])),
      );
      const last = rows.at(-1)!;
      await client.query(SET_WATERMARK, ["ticks", Number(last.nominal_at), last.schedule_id]);
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneTicks(request: { before: number; batch: number }): Promise<number> {
    const [mark] = await this.deps.read(HISTORY_WATERMARK, ["ticks"]);
    if (!mark) return 0;
    return this.deps.transaction(async (client) => {
      const result = await client.query(PRUNE_TICKS, [
        Math.min(request.before, Number(mark.at)),
        request.batch,
      ]);
      return result.rowCount ?? 0;
    });
  }
}
