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
import type { SqliteDeps } from "./sqlite-deps.ts";
import { HISTORY_WATERMARK } from "./sqlite-sql.ts";

/** Ticks after the watermark and before the cut-off, oldest first, joined with their jobs. */
const TICKS_TO_FOLD = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t INDEXED BY schedule_ticks_nominal
LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE (t.nominal_at, t.schedule_id) > (?, ?) AND t.nominal_at < ?
ORDER BY t.nominal_at, t.schedule_id
LIMIT ?`;
const SET_WATERMARK = `
INSERT INTO history_watermarks (source, at, key) VALUES (?, ?, ?)
ON CONFLICT (source) DO UPDATE SET at = excluded.at, key = excluded.key`;
const ROLLUP = `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE subject = ? AND name = ? AND period = ? AND bucket_start = ?`;
const UPSERT_ROLLUP = `
INSERT OR REPLACE INTO rollups (${ROLLUP_COLUMNS}) VALUES (${ROLLUP_COLUMNS.split(",")
  .map(() => "?")
  .join(", ")})`;
/** The oldest folded ticks: rowids first, so one DELETE removes a bounded batch. */
const PRUNE_TICKS = `
DELETE FROM schedule_ticks WHERE rowid IN (
  SELECT rowid FROM schedule_ticks INDEXED BY schedule_ticks_nominal WHERE nominal_at < ? ORDER BY nominal_at LIMIT ?)`;
/** HistoryStore on SQLite: folds ticks into rollups and prunes them (ports/history-store.ts). */
export class SqliteHistory implements HistoryStore {
  constructor(private readonly deps: Pick<SqliteDeps, "stmt" | "write">) {}

  async foldTicks(request: FoldRequest): Promise<FoldReport> {
    const { stmt, write } = this.deps;
    return write(() => {
      const mark = (stmt(HISTORY_WATERMARK).get("ticks") as { at: number; key: string } | undefined) ?? {
        at: -1,
        key: "",
      };
      const rows = stmt(TICKS_TO_FOLD).all(mark.at, mark.key, request.before, request.batch) as FoldTickRow[];
      if (rows.length === 0) return { folded: 0, more: false };
      const samples = rows.map((row) => tickSample(row, request.now));
      const read = stmt(ROLLUP);
      const merged = foldOnto(samples, (r) => {
        const row = read.get(r.subject, r.name, r.period, r.bucketStart) as RollupRow | undefined;
        return row ? rollupFromRow(row) : undefined;
      });
      const upsert = stmt(UPSERT_ROLLUP);
      for (const r of merged) upsert.run(...rollupValues(r));
      const last = rows.at(-1)!;
      stmt(SET_WATERMARK).run("ticks", Number(last.nominal_at), last.schedule_id);
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneTicks(request: { before: number; batch: number }): Promise<number> {
    const { stmt, write } = this.deps;
    return write(() => {
      const mark = stmt(HISTORY_WATERMARK).get("ticks") as { at: number } | undefined;
      if (!mark) return 0;
      // Strictly before the watermark's time: every tick there is folded, whatever its schedule.
      return stmt(PRUNE_TICKS).run(Math.min(request.before, mark.at), request.batch).changes;
    });
  }
}
