import { type RollupSample, rollupKey } from "../../core/rollup.ts";
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
import type { PgQueryable, PostgresDeps } from "./postgres-deps.ts";
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
const JOB_RUNS_TO_FOLD = `
SELECT r.id, j.queue, r.ended_at, r.duration_ms, r.outcome
FROM job_runs AS r JOIN jobs AS j ON j.id = r.job_id
WHERE r.id > $1 AND r.ended_at < $2
ORDER BY r.id
LIMIT $3`;
const FLOW_RUNS_TO_FOLD = `
SELECT id, flow, status, ended_at, duration_ms
FROM data_flow_runs
WHERE ended_at IS NOT NULL AND (ended_at, id) > ($1, $2) AND ended_at < $3
ORDER BY ended_at, id
LIMIT $4`;
/** The oldest finished jobs before the cut-off, their runs first; locked rows are left for the next batch. */
const PRUNE_JOBS = `
WITH doomed AS (
  SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1
  ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED
), runs AS (
  DELETE FROM job_runs WHERE job_id IN (SELECT id FROM doomed)
)
DELETE FROM jobs WHERE id IN (SELECT id FROM doomed)`;
const ENSURE_WATERMARK =
  "INSERT INTO history_watermarks (source, at, key) VALUES ($1, -1, $2) ON CONFLICT (source) DO NOTHING";

const TRANSITIONS_TO_FOLD = `
SELECT id, monitor, at, from_state, to_state FROM monitor_transitions
WHERE (at, id) > ($1, $2) AND at < $3
ORDER BY at, id
LIMIT $4`;
const MONITOR_MARKS =
  "SELECT source, at, key FROM history_watermarks WHERE source LIKE 'monitor:%' FOR UPDATE";
/** Folded transitions past retention, each monitor's latest kept (it is its current state). */
const PRUNE_TRANSITIONS = `
DELETE FROM monitor_transitions WHERE id IN (
  SELECT t.id FROM monitor_transitions AS t
  WHERE t.at < $1 AND t.seq < (SELECT max(seq) FROM monitor_transitions WHERE monitor = t.monitor)
  ORDER BY t.at LIMIT $2)`;

/** HistoryStore on PostgreSQL: folds ticks into rollups and prunes them (ports/history-store.ts). */
export class PostgresHistory implements HistoryStore {
  constructor(private readonly deps: Pick<PostgresDeps, "transaction" | "read">) {}

  foldTicks(request: FoldRequest): Promise<FoldReport> {
    return this.deps.transaction(async (client) => {
      const mark = await lockWatermark(client, "ticks", "");
      const rows = (await client.query(TICKS_TO_FOLD, [mark.at, mark.key, request.before, request.batch]))
        .rows as FoldTickRow[];
      if (rows.length === 0) return { folded: 0, more: false };
      await addToRollups(
        client,
        rows.map((row) => tickSample(row, request.now)),
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

  foldJobRuns(request: { before: number; batch: number }): Promise<FoldReport> {
    return this.deps.transaction(async (client) => {
      const mark = await lockWatermark(client, "job_runs", "0");
      const rows = (await client.query(JOB_RUNS_TO_FOLD, [mark.key, request.before, request.batch]))
        .rows as FoldJobRunRow[];
      const more = rows.length === request.batch;
      if (rows.length > 0) await addToRollups(client, rows.map(jobRunSample));
      // `at`: every attempt that ended before it is counted (the fold caught up to its cut-off).
      const key = String(rows.at(-1)?.id ?? mark.key);
      await client.query(SET_WATERMARK, ["job_runs", more ? mark.at : request.before, key]);
      return { folded: rows.length, more };
    });
  }

  foldFlowRuns(request: { before: number; batch: number }): Promise<FoldReport> {
    return this.deps.transaction(async (client) => {
      const mark = await lockWatermark(client, "flow_runs", "0");
      const rows = (await client.query(FLOW_RUNS_TO_FOLD, [mark.at, mark.key, request.before, request.batch]))
        .rows as FoldFlowRunRow[];
      if (rows.length === 0) return { folded: 0, more: false };
      await addToRollups(client, rows.map(flowRunSample));
      const last = rows.at(-1)!;
      await client.query(SET_WATERMARK, ["flow_runs", Number(last.ended_at), String(last.id)]);
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneJobs(request: { before: number; batch: number }): Promise<number> {
    const [ticks] = await this.deps.read(HISTORY_WATERMARK, ["ticks"]);
    const [runs] = await this.deps.read(HISTORY_WATERMARK, ["job_runs"]);
    // No tick fold yet means no schedule ticked: nothing waits for the jobs' outcomes.
    const cut = Math.min(
      request.before,
      ticks ? Number(ticks.at) : request.before,
      runs ? Number(runs.at) : -1,
    );
    return this.deps.transaction(
      async (client) => (await client.query(PRUNE_JOBS, [cut, request.batch])).rowCount ?? 0,
    );
  }

  foldMonitors(request: { before: number; batch: number }): Promise<FoldReport> {
    return this.deps.transaction(async (client) => {
      // The cursor's lock serializes monitor folds; the monitor marks are read under it.
      const cursor = await lockWatermark(client, "monitor_transitions", "0");
      const rows = (
        await client.query(TRANSITIONS_TO_FOLD, [cursor.at, cursor.key, request.before, request.batch])
      ).rows as FoldTransitionRow[];
      const marks = new Map(
        ((await client.query(MONITOR_MARKS)).rows as ({ source: string } & Mark)[]).map((m) => [m.source, m]),
      );
      const until = rows.length < request.batch ? request.before : null;
      const { samples, changed } = uptimeFold(rows, marks, until);
      if (samples.length > 0) await addToRollups(client, samples);
      for (const [source, mark] of changed) await client.query(SET_WATERMARK, [source, mark.at, mark.key]);
      const last = rows.at(-1);
      if (last) await client.query(SET_WATERMARK, ["monitor_transitions", Number(last.at), String(last.id)]);
      return { folded: rows.length, more: rows.length === request.batch };
    });
  }

  async pruneTransitions(request: { before: number; batch: number }): Promise<number> {
    const [cursor] = await this.deps.read(HISTORY_WATERMARK, ["monitor_transitions"]);
    if (!cursor) return 0;
    const cut = Math.min(request.before, Number(cursor.at));
    return this.deps.transaction(
      async (client) => (await client.query(PRUNE_TRANSITIONS, [cut, request.batch])).rowCount ?? 0,
    );
  }
}

/** The source's watermark, locked: two processes folding at once take turns instead of counting twice. */
async function lockWatermark(
  client: PgQueryable,
  source: string,
  key: string,
): Promise<{ at: number; key: string }> {
  await client.query(ENSURE_WATERMARK, [source, key]);
  const [mark] = (await client.query(WATERMARK_FOR_UPDATE, [source])).rows;
  return { at: Number(mark!.at), key: String(mark!.key) };
}

/** Adds samples to the stored rollups: one read of the rows they touch, one upsert of all. */
async function addToRollups(client: PgQueryable, samples: readonly RollupSample[]): Promise<void> {
  const keys = foldOnto(samples, () => undefined);
  const columns = (i: number) => keys.map((r) => rollupValues(r)[i]);
  const read = await client.query(ROLLUPS_OF, [columns(0), columns(1), columns(2), columns(3)]);
  const stored = new Map(
    (read.rows as unknown as RollupRow[]).map(rollupFromRow).map((r) => [rollupKey(r), r] as const),
  );
  const values = foldOnto(samples, (r) => stored.get(rollupKey(r))).map(rollupValues);
  await client.query(
    UPSERT_ROLLUPS,
    Array.from({ length: 17 }, (_, i) => values.map((v) => v[i])),
  );
}
