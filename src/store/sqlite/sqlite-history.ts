import type { RollupSample } from "../../core/rollup.ts";
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
import {
  type FoldFlowRunRow,
  type FoldJobRunRow,
  type FoldTransitionRow,
  flowRunSample,
  jobRunSample,
  type Mark,
  uptimeFold,
} from "../shared/history-samples.ts";
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
/** Attempts after the watermark (by id: a run row is written when its attempt ends). */
const JOB_RUNS_TO_FOLD = `
SELECT r.id, j.queue, r.ended_at, r.duration_ms, r.outcome
FROM job_runs AS r JOIN jobs AS j ON j.id = r.job_id
WHERE r.id > ? AND r.ended_at < ?
ORDER BY r.id
LIMIT ?`;
/** Ended flow runs after the watermark, oldest end first (data_flow_runs_ended). */
const FLOW_RUNS_TO_FOLD = `
SELECT id, flow, status, ended_at, duration_ms
FROM data_flow_runs
WHERE ended_at IS NOT NULL AND (ended_at, id) > (?, ?) AND ended_at < ?
ORDER BY ended_at, id
LIMIT ?`;
/** The oldest finished jobs before the cut-off (jobs_finished), their runs first. */
const DOOMED_JOBS =
  "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at LIMIT ?";
const PRUNE_JOB_RUNS = `DELETE FROM job_runs WHERE job_id IN (${DOOMED_JOBS})`;
const PRUNE_JOBS = `DELETE FROM jobs WHERE id IN (${DOOMED_JOBS})`;

const TRANSITIONS_TO_FOLD = `
SELECT id, monitor, at, from_state, to_state FROM monitor_transitions
WHERE (at, id) > (?, ?) AND at < ?
ORDER BY at, id
LIMIT ?`;
const MONITOR_MARKS = "SELECT source, at, key FROM history_watermarks WHERE source LIKE 'monitor:%'";
/** Folded transitions past retention, each monitor's latest kept (it is its current state). */
const PRUNE_TRANSITIONS = `
DELETE FROM monitor_transitions WHERE id IN (
  SELECT t.id FROM monitor_transitions AS t
  WHERE t.at < ? AND t.seq < (SELECT max(seq) FROM monitor_transitions WHERE monitor = t.monitor)
  ORDER BY t.at LIMIT ?)`;

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
      this.addToRollups(rows.map((row) => tickSample(row, request.now)));
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

  async foldJobRuns(request: { before: number; batch: number }): Promise<FoldReport> {
    const { stmt, write } = this.deps;
    return write(() => {
      const mark = stmt(HISTORY_WATERMARK).get("job_runs") as { at: number; key: string } | undefined;
      const after = mark ? Number(mark.key) : 0;
      const rows = stmt(JOB_RUNS_TO_FOLD).all(after, request.before, request.batch) as FoldJobRunRow[];
      const more = rows.length === request.batch;
      this.addToRollups(rows.map(jobRunSample));
      // `at`: every attempt that ended before it is counted (the fold caught up to its cut-off).
      const last = rows.at(-1);
      stmt(SET_WATERMARK).run(
        "job_runs",
        more ? (mark?.at ?? -1) : request.before,
        String(last?.id ?? after),
      );
      return { folded: rows.length, more };
    });
  }

  async foldFlowRuns(request: { before: number; batch: number }): Promise<FoldReport> {
    const { stmt, write } = this.deps;
    return write(() => {
      const mark = (stmt(HISTORY_WATERMARK).get("flow_runs") as { at: number; key: string } | undefined) ?? {
        at: -1,
        key: "0",
      };
      const rows = stmt(FLOW_RUNS_TO_FOLD).all(
        mark.at,
        Number(mark.key),
        request.before,
        request.batch,
      ) as FoldFlowRunRow[];
      if (rows.length === 0) return { folded: 0, more: false };
      this.addToRollups(rows.map(flowRunSample));
      const last = rows.at(-1)!;
      stmt(SET_WATERMARK).run("flow_runs", Number(last.ended_at), String(last.id));
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneJobs(request: { before: number; batch: number }): Promise<number> {
    const { stmt, write } = this.deps;
    return write(() => {
      const ticks = stmt(HISTORY_WATERMARK).get("ticks") as { at: number } | undefined;
      const runs = stmt(HISTORY_WATERMARK).get("job_runs") as { at: number } | undefined;
      // No tick fold yet means no schedule ticked: nothing waits for the jobs' outcomes.
      const cut = Math.min(request.before, ticks?.at ?? request.before, runs?.at ?? -1);
      stmt(PRUNE_JOB_RUNS).run(cut, request.batch);
      return stmt(PRUNE_JOBS).run(cut, request.batch).changes;
    });
  }

  async foldMonitors(request: { before: number; batch: number }): Promise<FoldReport> {
    const { stmt, write } = this.deps;
    return write(() => {
      const cursor = (stmt(HISTORY_WATERMARK).get("monitor_transitions") as Mark | undefined) ?? {
        at: -1,
        key: "0",
      };
      const rows = stmt(TRANSITIONS_TO_FOLD).all(
        cursor.at,
        Number(cursor.key),
        request.before,
        request.batch,
      ) as FoldTransitionRow[];
      const marks = new Map(
        (stmt(MONITOR_MARKS).all() as ({ source: string } & Mark)[]).map((m) => [m.source, m]),
      );
      const { samples, changed } = uptimeFold(
        rows,
        marks,
        rows.length < request.batch ? request.before : null,
      );
      this.addToRollups(samples);
      const set = stmt(SET_WATERMARK);
      for (const [source, mark] of changed) set.run(source, mark.at, mark.key);
      const last = rows.at(-1);
      if (last) set.run("monitor_transitions", Number(last.at), String(last.id));
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneTransitions(request: { before: number; batch: number }): Promise<number> {
    const { stmt, write } = this.deps;
    return write(() => {
      const cursor = stmt(HISTORY_WATERMARK).get("monitor_transitions") as Mark | undefined;
      if (!cursor) return 0;
      return stmt(PRUNE_TRANSITIONS).run(Math.min(request.before, Number(cursor.at)), request.batch).changes;
    });
  }

  /** Adds samples to the stored rollups (inside the caller's write transaction). */
  private addToRollups(samples: readonly RollupSample[]): void {
    const read = this.deps.stmt(ROLLUP);
    const merged = foldOnto(samples, (r) => {
      const row = read.get(r.subject, r.name, r.period, r.bucketStart) as RollupRow | undefined;
      return row ? rollupFromRow(row) : undefined;
    });
    const upsert = this.deps.stmt(UPSERT_ROLLUP);
    for (const r of merged) upsert.run(...rollupValues(r));
  }
}
