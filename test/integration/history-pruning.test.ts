import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COUNT_FIELDS, type RollupCounts } from "../../src/core/rollup.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { adminQuery, createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { asJobs } from "../helpers/runtime.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const ROWS = 1_000_000;
const SCHEDULES = 10;
const JOBS = 10_000;
const DAY = 86_400_000;
/** Job ids far above any the live schedule gets from its sequence. */
const JOB_ID_BASE = 1_000_000_000_000;

/**
 * The generated history, as set-based SQL for both dialects: tick i belongs to schedule
 * `bulk-(i % 10)`, is due `start + ⌊i/10⌋·step`; every 20th is missed (coalesced), the next one
 * skipped (overlap), the rest fired, started 100 ms late — or 3 s (late) when i % 7 = 0. The
 * first JOBS fired ticks link to a job: succeeded, or discarded when i % 4 = 0.
 */
function generation(start: number, step: number) {
  const tick = (i: string, cast: (s: string) => string) => `
    'bulk-' || (${cast(`${i} % ${SCHEDULES}`)}),
    ${start} + (${i} / ${SCHEDULES}) * ${step},
    CASE WHEN ${i} % 20 = 0 THEN 'missed' WHEN ${i} % 20 = 1 THEN 'skipped' ELSE 'fired' END,
    CASE WHEN ${i} % 20 = 0 THEN 'coalesced' WHEN ${i} % 20 = 1 THEN 'overlap' END,
    ${start} + (${i} / ${SCHEDULES}) * ${step} + 5,
    CASE WHEN ${i} < ${JOBS} AND ${i} % 20 >= 2 THEN ${JOB_ID_BASE} + ${i} END,
    CASE WHEN ${i} % 20 >= 2 THEN ${start} + (${i} / ${SCHEDULES}) * ${step} + CASE WHEN ${i} % 7 = 0 THEN 3000 ELSE 100 END END`;
  const job = (i: string) => `
    ${JOB_ID_BASE} + ${i}, 'bulk.work', 'default', 'null',
    CASE WHEN ${i} % 4 = 0 THEN 'discarded' ELSE 'succeeded' END, 0, 1, 1, ${start}, 'exponential', ${start},
    ${start} + (${i} / ${SCHEDULES}) * ${step} + 600`;
  const jobColumns =
    "id, type, queue, payload, state, priority, attempt, max_attempts, run_at, backoff, created_at, finished_at";
  const tickColumns = "schedule_id, nominal_at, decision, reason, decided_at, job_id, started_at";
  return {
    sqlite: [
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${JOBS - 1})
       INSERT INTO jobs (${jobColumns}) SELECT ${job("i")} FROM n WHERE i % 20 >= 2`,
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
       INSERT INTO schedule_ticks (${tickColumns}) SELECT ${tick("i", (s) => s)} FROM n`,
    ],
    postgres: [
      `INSERT INTO jobs (${jobColumns}) SELECT ${job("i")} FROM generate_series(0, ${JOBS - 1}) AS i WHERE i % 20 >= 2`,
      `INSERT INTO schedule_ticks (${tickColumns}) SELECT ${tick("i", (s) => `(${s})::text`)} FROM generate_series(0::bigint, ${ROWS - 1}) AS i`,
    ],
  };
}

/** Counts the raw rows in the vocabulary, straight from SQL (what the rollups must equal). */
const RAW_COUNTS = `
SELECT count(*) AS total,
  sum(CASE WHEN t.decision = 'fired' THEN 1 ELSE 0 END) AS fired,
  sum(CASE WHEN t.decision = 'missed' THEN 1 ELSE 0 END) AS missed,
  sum(CASE WHEN t.decision = 'skipped' THEN 1 ELSE 0 END) AS skipped,
  sum(CASE WHEN j.state = 'succeeded' THEN 1 ELSE 0 END) AS succeeded,
  sum(CASE WHEN j.state = 'discarded' THEN 1 ELSE 0 END) AS failed,
  sum(CASE WHEN j.state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
  sum(CASE WHEN t.started_at IS NOT NULL AND t.started_at - t.nominal_at <= 1000 THEN 1 ELSE 0 END) AS on_time,
  sum(CASE WHEN t.started_at IS NOT NULL AND t.started_at - t.nominal_at > 1000 THEN 1 ELSE 0 END) AS late
FROM schedule_ticks AS t LEFT JOIN jobs AS j ON j.id = t.job_id
WHERE t.schedule_id LIKE 'bulk-%'`;

interface Dialect {
  exec(sql: string): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
}

function countsOf(row: Record<string, unknown>): RollupCounts {
  const get = (k: string) => Number(row[k] ?? 0);
  return {
    total: get("total"),
    fired: get("fired"),
    missed: get("missed"),
    skipped: get("skipped"),
    succeeded: get("succeeded"),
    failed: get("failed"),
    cancelled: get("cancelled"),
    onTime: get("on_time"),
    late: get("late"),
  };
}

const live = defineJob("history.live", async () => {});

async function pruneWhileRunning(store: Store, dialect: Dialect, sql: string[]) {
  const now = Date.now();
  for (const statement of sql) await dialect.exec(statement);
  const [raw] = await dialect.query(RAW_COUNTS);
  const expected = countsOf(raw!);
  assert.equal(expected.total, ROWS);
  const rawRates = await rawRatesOf(dialect, "bulk-3");

  const tickflow = new Tickflow(
    store,
    {
      pollIntervalMs: 50,
      jobs: asJobs(live),
      rollupLagMs: 60_000,
      tickRetentionMs: 60_000,
      leaseMs: 2_000, // maintenance every second
    },
    false,
  );
  tickflow.defineSchedule({ key: "live", job: live, every: "1s" });
  const lateness: number[] = [];
  const liveTicks: string[] = [];
  tickflow.on("schedule:tick", (e) => {
    if (e.scheduleId === "live") liveTicks.push(e.decision);
  });
  tickflow.on("job:start", (e) => {
    if (e.type === "history.live" && e.scheduledFor !== null) lateness.push(e.startedAt - e.scheduledFor);
  });
  let rounds = 0;
  tickflow.on("history:round", () => rounds++);
  const began = Date.now();
  await tickflow.start();
  try {
    await waitFor(
      async () =>
        // A range on the primary key (schedule_id, nominal_at): no scan of a million rows per poll.
        (
          await dialect.query(
            "SELECT 1 AS one FROM schedule_ticks WHERE schedule_id >= 'bulk-' AND schedule_id < 'bulk.' LIMIT 1",
          )
        ).length === 0,
      "every bulk tick folded and pruned",
      400_000,
      500,
    );
    const tookMs = Date.now() - began;
    assert.ok(rounds > 1, `pruned in ${rounds} bounded rounds`);
    const notFired = liveTicks.filter((d) => d !== "fired").length;
    const stats = `${liveTicks.length} ticks decided, ${notFired} not fired, ${lateness.length} runs in ${tookMs} ms`;
    assert.ok(liveTicks.length >= Math.floor(tookMs / 1_000) - 3, `the live schedule kept ticking: ${stats}`);
    assert.equal(notFired, 0, `every live tick fired while pruning: ${stats}`);
    const worst = Math.max(...lateness);
    const sorted = [...lateness].sort((a, b) => a - b);
    const p50 = sorted[Math.floor(sorted.length / 2)];
    assert.ok(
      worst <= 1_000,
      `no live tick later than its tolerance (1 s) while pruning: worst ${worst} ms, p50 ${p50} ms; ${stats}`,
    );

    const days = await store.queries.listRollups({
      subject: "schedule",
      period: "day",
      from: 0,
      to: now + DAY,
    });
    const summed = Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as unknown as RollupCounts;
    for (const r of days.filter((d) => d.name.startsWith("bulk-"))) {
      for (const f of COUNT_FIELDS) summed[f] += r.counts[f];
    }
    assert.deepEqual(summed, expected, "rollup counts equal the raw counts before pruning");
    const hours = await store.queries.listRollups({
      subject: "schedule",
      period: "hour",
      from: 0,
      to: now + DAY,
    });
    assert.equal(
      hours.filter((h) => h.name.startsWith("bulk-")).reduce((n, h) => n + h.counts.total, 0),
      ROWS,
      "hourly rollups hold every row too",
    );

    // The 90-day rates the dashboard and API show come from those rollups and match the raw counts.
    const rates = (await tickflow.liveness.scheduleRates(["bulk-3"])).get("bulk-3")!["90d"];
    assert.ok(
      rates.successRate !== null && Math.abs(rates.successRate - rawRates.successRate) < 1e-12,
      "90-day success rate",
    );
    assert.ok(
      rates.onTimeRate !== null && Math.abs(rates.onTimeRate - rawRates.onTimeRate) < 1e-12,
      "90-day on-time rate",
    );
    return { tookMs, worst, rounds, rates, rawRates };
  } finally {
    await tickflow.stop(0);
  }
}

/** Raw per-schedule counts, taken before pruning, for the rate comparison. */
async function rawRatesOf(dialect: Dialect, schedule: string) {
  const [row] = await dialect.query(RAW_COUNTS.replace("LIKE 'bulk-%'", `= '${schedule}'`));
  const c = countsOf(row!);
  return { successRate: c.succeeded / (c.succeeded + c.failed), onTimeRate: c.onTime / (c.onTime + c.late) };
}

function sqliteDialect(store: SqliteStore): Dialect {
  // biome-ignore lint/suspicious/noExplicitAny: the test reaches the driver to generate rows set-based
  const db = (store as any).db as import("better-sqlite3").Database;
  return {
    exec: async (sql) => void db.exec(sql),
    query: async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
  };
}

function pgDialect(schema: string): Dialect {
  const inSchema = (sql: string) => `SET search_path TO ${schema}; ${sql}`;
  return {
    exec: async (sql) => void (await adminQuery(inSchema(sql))),
    query: async (sql) => {
      const result = (await adminQuery(inSchema(sql))) as unknown as
        | { rows: Record<string, unknown>[] }[]
        | { rows: Record<string, unknown>[] };
      return Array.isArray(result) ? result.at(-1)!.rows : result.rows;
    },
  };
}

describe("history that survives pruning: 1 000 000 ticks (SQLite)", () => {
  it("pruned in batches while the scheduler runs; rollups equal the raw counts; 90-day rates match", async () => {
    const h = await createTestSqliteStore();
    try {
      const dialect = sqliteDialect(h.store as SqliteStore);
      const now = Date.now();
      const gen = generation(now - 89 * DAY - DAY / 2, Math.floor((89 * DAY) / (ROWS / SCHEDULES)));
      const result = await pruneWhileRunning(h.store, dialect, gen.sqlite);
      console.log(
        `sqlite: 1M ticks folded and pruned in ${result.tookMs} ms over ${result.rounds} rounds; worst live lateness ${result.worst} ms`,
      );
    } finally {
      await h.cleanup();
    }
  });
});

describe("history that survives pruning: 1 000 000 ticks (PostgreSQL)", { skip: pgTestSkip() }, () => {
  it("pruned in batches while the scheduler runs; rollups equal the raw counts; 90-day rates match", async () => {
    const h = await createTestPgStore();
    try {
      const dialect = pgDialect(h.schema);
      const now = Date.now();
      const gen = generation(now - 89 * DAY - DAY / 2, Math.floor((89 * DAY) / (ROWS / SCHEDULES)));
      const result = await pruneWhileRunning(h.store as PostgresStore, dialect, gen.postgres);
      console.log(
        `postgres: 1M ticks folded and pruned in ${result.tookMs} ms over ${result.rounds} rounds; worst live lateness ${result.worst} ms`,
      );
    } finally {
      await h.cleanup();
    }
  });
});
