// The dashboard overview with 200 schedules, 24 recent ticks each (the strip's) (with their jobs) and one year of
// hourly and daily rollups per schedule: how fast it renders (target: median < 50 ms), on SQLite and
// on PostgreSQL (when TICKFLOW_TEST_PG_URL or --pg is set). Rows are generated with set-based SQL.
// Run: npm run bench:dashboard (after the flow-run bench) or node --import tsx bench/overview.ts
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { httpSchema } from "../src/config/http-schema.ts";
import { emptyMeasure } from "../src/core/rollup.ts";
import { createHttpServer } from "../src/http/server.ts";
import { defineJob } from "../src/runtime/registry.ts";
import { PostgresStore } from "../src/store/postgres/postgres-store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    schedules: { type: "string", default: "200" },
    samples: { type: "string", default: "30" },
    pg: { type: "string" },
  },
  strict: false,
});
const SCHEDULES = Number(values.schedules);
const SAMPLES = Number(values.samples);
const TICKS = 24;
const TARGET_MS = 50;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const report = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

/** The generation, as the same SQL text for both dialects (only the row source differs). */
function generation(now: number, series: (n: number) => string) {
  const measure = JSON.stringify({ ...emptyMeasure(), count: 1, max: 120 }).replaceAll("'", "''");
  const hourStart = Math.floor(now / HOUR) * HOUR - 365 * 24 * HOUR;
  const dayStart = Math.floor(now / DAY) * DAY - 365 * DAY;
  const sched = (i: string) => `'overview-' || (${i} % ${SCHEDULES})`;
  const cols =
    "subject, name, period, bucket_start, total, fired, missed, skipped, succeeded, failed, cancelled, on_time, late, latency, duration, up_ms, observed_ms";
  const counts = (i: string) =>
    `60, 58, 1, 1, 57 - (${i} % 3), (${i} % 3), 0, 55, 3, '${measure}', '${measure}', 0, 0`;
  return [
    `INSERT INTO rollups (${cols}) SELECT 'schedule', ${sched("i")}, 'hour', ${hourStart} + (i / ${SCHEDULES}) * ${HOUR}, ${counts("i")} FROM ${series(SCHEDULES * 365 * 24)}`,
    `INSERT INTO rollups (${cols}) SELECT 'schedule', ${sched("i")}, 'day', ${dayStart} + (i / ${SCHEDULES}) * ${DAY}, ${counts("i")} FROM ${series(SCHEDULES * 365)}`,
    `INSERT INTO jobs (id, type, queue, payload, state, priority, attempt, max_attempts, run_at, backoff, created_at, finished_at)
     SELECT 1000000000 + i, 'overview.work', 'default', 'null', CASE WHEN i % 17 = 0 THEN 'discarded' ELSE 'succeeded' END,
            0, 1, 1, ${now}, 'exponential', ${now}, ${now} - (i / ${SCHEDULES}) * 60000 + 400
     FROM ${series(SCHEDULES * TICKS)}`,
    `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id, started_at)
     SELECT ${sched("i")}, ${now} - (i / ${SCHEDULES} + 1) * 60000, 'fired', NULL, ${now} - (i / ${SCHEDULES} + 1) * 60000,
            1000000000 + i, ${now} - (i / ${SCHEDULES} + 1) * 60000 + 80
     FROM ${series(SCHEDULES * TICKS)}`,
  ];
}

async function benchOn(label: string, store: Store, exec: (sql: string) => Promise<void>): Promise<number> {
  const job = defineJob("overview.work", async () => {});
  const tickflow = new Tickflow(store, { jobs: [job as never], tickRetentionMs: null }, false);
  for (let i = 0; i < SCHEDULES; i++) tickflow.defineSchedule({ key: `overview-${i}`, job, every: "1m" });
  await tickflow.start({ worker: false, scheduler: false, syncSchedules: true });
  try {
    const t0 = performance.now();
    for (const sql of generation(Date.now(), label === "SQLite" ? sqliteSeries : pgSeries)) await exec(sql);
    report(`${label}: rows generated`, `${fmt(performance.now() - t0)} ms`);
    const token = "bench-token-0123456789abcdef";
    const config = httpSchema.parse({ tokens: [token], rateLimit: { max: 1_000_000, window: "1m" } });
    const app = await createHttpServer({ tickflow, heartbeat: null, config, logger: tickflow.logger });
    await app.ready();
    const login = await app.inject({
      method: "POST",
      url: "/dashboard/login",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:80" },
      payload: new URLSearchParams({ token }).toString(),
    });
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const ms: number[] = [];
    // This process's CPU per request beside the wall clock: on a shared machine the wall clock
    // also counts waiting for a core (PostgreSQL's own CPU is in neither).
    const cpu: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const reply = await app.inject({ method: "GET", url: "/dashboard", headers: { cookie } });
      ms.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1_000);
      if (reply.statusCode !== 200)
        throw new Error(`/dashboard: ${reply.statusCode} ${reply.body.slice(0, 200)}`);
      if (!reply.body.includes('data-subject="overview-199"') && SCHEDULES === 200)
        throw new Error("the overview does not list every schedule");
      bytes = reply.body.length;
    }
    await app.close();
    const rest = ms.slice(1).sort((a, b) => a - b);
    const p50 = percentile(rest, 50);
    const cpuRest = cpu.slice(1).sort((a, b) => a - b);
    report(
      `${label}: overview, ${SCHEDULES} schedules, 1 y rollups`,
      `first ${fmt(ms[0]!)} ms, median ${fmt(p50)} ms, p95 ${fmt(percentile(rest, 95))} ms, min ${fmt(rest[0]!)} ms, max ${fmt(rest.at(-1)!)} ms (${(bytes / 1024).toFixed(0)} KB) ${p50 < TARGET_MS ? "ok" : `OVER ${TARGET_MS} ms`}`,
    );
    report(
      `${label}: CPU of this process per request`,
      `first ${fmt(cpu[0]!)} ms, median ${fmt(percentile(cpuRest, 50))} ms, min ${fmt(cpuRest[0]!)} ms, max ${fmt(cpuRest.at(-1)!)} ms (load ${loadavg()[0]!.toFixed(1)})`,
    );
    return p50;
  } finally {
    await tickflow.stop(0);
  }
}

const sqliteSeries = (n: number) =>
  `(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1}) SELECT i FROM s)`;
const pgSeries = (n: number) => `generate_series(0::bigint, ${n - 1}) AS i`;

export async function benchOverview(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-overview-"));
  try {
    const store = new SqliteStore(join(dir, "overview.db"));
    // biome-ignore lint/suspicious/noExplicitAny: the bench reaches the driver to generate rows set-based
    const db = (store as any).db as import("better-sqlite3").Database;
    results.sqliteOverviewP50Ms = await benchOn("SQLite", store, async (sql) => void db.exec(sql));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = (values.pg as string | undefined) ?? process.env.TICKFLOW_TEST_PG_URL;
  if (!url) {
    report("PostgreSQL", "skipped (set TICKFLOW_TEST_PG_URL or --pg <url>)");
    return results;
  }
  const schema = `tickflow_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const store = new PostgresStore(url, { schema });
    try {
      results.postgresOverviewP50Ms = await benchOn("PostgreSQL", store, async (sql) => {
        await admin.query(`SET search_path TO ${schema}`);
        await admin.query(sql);
        await admin.query("ANALYZE");
      });
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`dashboard overview: ${SCHEDULES} schedules, ${SAMPLES} requests`);
  await benchOverview();
}
