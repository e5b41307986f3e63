// The dashboard with 1 000 000 flow-run rows: how fast the flow page's first page and a middle page
// of run history are served (target < 100 ms each). Run: npm run bench:dashboard [-- --rows 1000000]
// Rows are generated in SQL (one transaction, a recursive CTE) on a temp SQLite file; pages are
// requested through the real Fastify app (inject: routing, session check, queries and rendering).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { httpSchema } from "../src/config/http-schema.ts";
import { defineFlow } from "../src/flows/define-flow.ts";
import { createHttpServer } from "../src/http/server.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    samples: { type: "string", default: "30" },
    // tickflow never runs ANALYZE; with --analyze the planner has statistics (a DBA might run it).
    analyze: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const SAMPLES = Number(values.samples);
const TARGET_MS = 100;
const FLOW = "bench-flow";
const OTHER = "other-flow";
const report = (name: string, value: string) => console.log(`${name.padEnd(44)} ${value}`);

export async function benchDashboard(rows = ROWS, samples = SAMPLES): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-dashboard-"));
  const file = join(dir, "dashboard.db");
  const store = new SqliteStore(file);
  const flows = [FLOW, OTHER].map((name) => defineFlow({ name, schedule: "1h", run: async () => {} }));
  // Retention off: the sweep at start must not prune the generated history.
  const tickflow = new Tickflow(store, { flows, flowRunsKept: null, flowRunRetentionMs: null }, true);
  await tickflow.start({ worker: false, scheduler: false, syncSchedules: true });
  const results: Record<string, number> = {};
  try {
    // ── 1. generate the rows in SQL ─────────────────────────────────────────
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    const now = Date.now();
    const step = 30_000; // a run every 30 s, the newest just now: ~1 year of history for 1M rows
    const started = performance.now();
    db.transaction(() => {
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO data_flow_runs (flow, status, source, attempt, job_id, created_at, started_at, ended_at, duration_ms, error_message, error_stack)
         SELECT CASE WHEN i % 10 = 0 THEN '${OTHER}' ELSE '${FLOW}' END,
                CASE WHEN i % 37 = 0 THEN 'failed' ELSE 'success' END,
                CASE WHEN i % 11 = 0 THEN 'manual' ELSE 'schedule' END,
                1, NULL,
                @base + i * @step, @base + i * @step + 3,
                @base + i * @step + 3 + (200 + (i * 7919) % 4000), 200 + (i * 7919) % 4000,
                CASE WHEN i % 37 = 0 THEN 'upstream returned 503' END,
                CASE WHEN i % 37 = 0 THEN 'Error: upstream returned 503' || char(10) || '    at run (flows/bench.ts:12:11)' END
         FROM n`,
      ).run({ base: now - rows * step, step }, rows);
    })();
    if (values.analyze) db.exec("ANALYZE");
    results.insertMs = performance.now() - started;
    const count = (db.prepare("SELECT count(*) AS n FROM data_flow_runs").get() as { n: number }).n;
    const flowCount = (
      db.prepare("SELECT count(*) AS n FROM data_flow_runs WHERE flow = ?").get(FLOW) as { n: number }
    ).n;
    report("flow-run rows generated", `${count.toLocaleString("en")} in ${fmt(results.insertMs)} ms`);
    const middle = (
      db
        .prepare("SELECT id FROM data_flow_runs WHERE flow = ? ORDER BY id LIMIT 1 OFFSET ?")
        .get(FLOW, Math.floor(flowCount / 2)) as {
        id: number;
      }
    ).id;
    // The page's queries and their plans: each must SEARCH an index, never SCAN the table.
    const plans = {
      "history page": [
        "SELECT * FROM data_flow_runs WHERE flow = ? AND id < ? ORDER BY id DESC LIMIT ?",
        FLOW,
        middle,
        51,
      ],
      "newest run (active run)": [
        "SELECT * FROM data_flow_runs WHERE flow = ? ORDER BY id DESC LIMIT ?",
        FLOW,
        1,
      ],
      "stats window": [
        "SELECT status, duration_ms FROM data_flow_runs WHERE flow = ? AND status IN ('success', 'failed') ORDER BY id DESC LIMIT ?",
        FLOW,
        1000,
      ],
    } as const;
    for (const [name, [sql, ...params]] of Object.entries(plans)) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join("; ");
      report(`plan: ${name}`, plan);
    }
    db.close();

    // ── 2. serve the pages through the real app ─────────────────────────────
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
    const time = async (
      name: string,
      url: string,
      key: string,
      headers: Record<string, string> = { cookie },
    ) => {
      const ms: number[] = [];
      let bytes = 0;
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        const reply = await app.inject({ method: "GET", url, headers });
        ms.push(performance.now() - t0);
        if (reply.statusCode !== 200)
          throw new Error(`${url}: ${reply.statusCode} ${reply.body.slice(0, 200)}`);
        bytes = reply.body.length;
      }
      const first = ms[0]!;
      const sorted = ms.slice(1).sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const max = sorted.at(-1) ?? first;
      results[`${key}FirstMs`] = first;
      results[`${key}P50Ms`] = p50;
      results[`${key}MaxMs`] = max;
      const verdict = Math.max(first, max) < TARGET_MS ? "ok" : `OVER ${TARGET_MS} ms`;
      report(
        name,
        `first ${fmt(first)} ms, p50 ${fmt(p50)} ms, max ${fmt(max)} ms (${(bytes / 1024).toFixed(0)} KB) ${verdict}`,
      );
    };
    await time("flow page, newest runs", `/dashboard/flows/${FLOW}`, "flowFirstPage");
    await time(
      `flow page, middle (before=${middle})`,
      `/dashboard/flows/${FLOW}?before=${middle}`,
      "flowMiddlePage",
    );
    await time("flow page, oldest runs", `/dashboard/flows/${FLOW}?before=60`, "flowLastPage");
    await time("flows list", "/dashboard/flows", "flowsList");
    await time("overview", "/dashboard", "overview");
    // For comparison, not a dashboard page: the API's flow read (FlowService.get looks for the active
    // run by status, which no index serves on SQLite when the statuses are bound parameters).
    await time("API GET /api/v1/flows/:name (comparison)", `/api/v1/flows/${FLOW}`, "apiFlow", {
      authorization: `Bearer ${token}`,
    });
    await app.close();
  } finally {
    await tickflow.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(
    `dashboard with ${ROWS.toLocaleString("en")} flow-run rows (SQLite), ${SAMPLES} requests per page`,
  );
  await benchDashboard();
}
