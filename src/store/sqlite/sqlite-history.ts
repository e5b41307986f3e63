import type Database from "better-sqlite3";
import type { Rollup, RollupCounts } from "../../core/rollup.ts";
import {
  countsFromRow,
  foldOnto,
  ROLLUP_COLUMNS,
  type RollupRow,
  rollupFromRow,
  rollupValues,
  SUMMED_COUNTS,
  tickSample,
} from "../history-fold.ts";
import type { FoldReport, FoldRequest, FoldTickRow, HistoryStore, RollupQuery } from "../ports/history.ts";
import { type DbRow, toTickRow } from "../rows.ts";
import type { TickRow } from "../store.ts";

/** Ticks after the watermark and before the cut-off, oldest first, joined with their jobs. */
const TICKS_TO_FOLD = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t INDEXED BY schedule_ticks_nominal
LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE (t.nominal_at, t.schedule_id) > (?, ?) AND t.nominal_at < ?
ORDER BY t.nominal_at, t.schedule_id
LIMIT ?`;
const WATERMARK = "SELECT at, key FROM history_watermarks WHERE source = ?";
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
const RECENT_TICKS = `
SELECT t.schedule_id, t.nominal_at, t.decision, t.reason, t.decided_at, t.job_id, t.started_at,
       j.state AS job_state, j.attempt AS job_attempt, j.finished_at AS job_finished_at
FROM schedule_ticks AS t LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE t.schedule_id = ? ORDER BY t.nominal_at DESC LIMIT ?`;
const TICKS_BEFORE = `
SELECT * FROM schedule_ticks WHERE schedule_id = ? AND nominal_at < ? ORDER BY nominal_at DESC LIMIT ?`;

export interface SqliteHistoryDeps {
  stmt(sql: string): Database.Statement;
  write<T>(fn: () => T): Promise<T>;
}

/** HistoryStore on SQLite: folds, prunes and reads rollups (store/ports/history.ts). */
export class SqliteHistory implements HistoryStore {
  constructor(private readonly deps: SqliteHistoryDeps) {}

  async foldTicks(request: FoldRequest): Promise<FoldReport> {
    const { stmt, write } = this.deps;
    return write(() => {
      const mark = (stmt(WATERMARK).get("ticks") as { at: number; key: string } | undefined) ?? {
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
      const mark = stmt(WATERMARK).get("ticks") as { at: number } | undefined;
      if (!mark) return 0;
      // Strictly before the watermark's time: every tick there is folded, whatever its schedule.
      return stmt(PRUNE_TICKS).run(Math.min(request.before, mark.at), request.batch).changes;
    });
  }

  async listRollups(query: RollupQuery): Promise<Rollup[]> {
    const names = query.names ? `AND name IN (${query.names.map(() => "?").join(", ")})` : "";
    if (query.names?.length === 0) return [];
    const rows = this.deps
      .stmt(
        `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE subject = ? AND period = ? AND bucket_start >= ? AND bucket_start < ? ${names} ORDER BY name, bucket_start`,
      )
      .all(query.subject, query.period, query.from, query.to, ...(query.names ?? [])) as RollupRow[];
    return rows.map(rollupFromRow);
  }

  async sumRollups(query: RollupQuery): Promise<Map<string, RollupCounts>> {
    if (query.names?.length === 0) return new Map();
    const names = query.names ? `AND name IN (${query.names.map(() => "?").join(", ")})` : "";
    const rows = this.deps
      .stmt(
        `SELECT name, ${SUMMED_COUNTS} FROM rollups WHERE subject = ? AND period = ? AND bucket_start >= ? AND bucket_start < ? ${names} GROUP BY name`,
      )
      .all(query.subject, query.period, query.from, query.to, ...(query.names ?? [])) as Record<
      string,
      unknown
    >[];
    return new Map(rows.map((r) => [String(r.name), countsFromRow(r)]));
  }

  async recentTicks(scheduleIds: readonly string[], limit: number): Promise<Map<string, FoldTickRow[]>> {
    // In-process: one prepared statement per schedule costs microseconds, no round trips.
    const recent = this.deps.stmt(RECENT_TICKS);
    return new Map(scheduleIds.map((id) => [id, recent.all(id, limit) as FoldTickRow[]]));
  }

  async ticksBefore(scheduleId: string, before: number, limit: number): Promise<TickRow[]> {
    return (this.deps.stmt(TICKS_BEFORE).all(scheduleId, before, limit) as DbRow[]).map(toTickRow);
  }

  async ticksFoldedUntil(): Promise<number | null> {
    const mark = this.deps.stmt(WATERMARK).get("ticks") as { at: number } | undefined;
    return mark ? mark.at : null;
  }
}
