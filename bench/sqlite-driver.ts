// node:sqlite against better-sqlite3 on tickflow's raw lifecycle (insert → claim → complete, the
// statements and batching of bench/sqlite-raw.ts), alternating the two drivers run by run.
// Needs Node ≥ 22.13 (node:sqlite without a flag) and better-sqlite3 built for that Node:
//   node bench/sqlite-driver.ts [--jobs 20000] [--batch 50] [--runs 5] [--better-sqlite3 <dir>]
// (Node 22.18+ and 24 run this TypeScript file as it is; on Node 20 there is no node:sqlite.)
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    batch: { type: "string", default: "50" },
    runs: { type: "string", default: "5" },
    "better-sqlite3": { type: "string", default: "better-sqlite3" },
  },
});
const JOBS = Number(values.jobs);
const BATCH = Number(values.batch);
const RUNS = Number(values.runs);

interface Statement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Connection {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

const require = createRequire(import.meta.url);
const drivers: Record<string, (file: string) => Connection> = {
  "better-sqlite3": (file) => {
    const Database = require(values["better-sqlite3"]!) as new (file: string) => Connection;
    return new Database(file);
  },
  "node:sqlite": (file) => {
    const { DatabaseSync } = require("node:sqlite") as { DatabaseSync: new (file: string) => Connection };
    return new DatabaseSync(file);
  },
};

/** One run: jobs/s through insert, claim and complete, each batch its own IMMEDIATE transaction. */
function lifecycle(open: (file: string) => Connection, file: string): number {
  const db = open(file);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, type TEXT, queue TEXT, payload TEXT, state TEXT,
    priority INTEGER, run_at INTEGER, lease_token INTEGER DEFAULT 0, lease_expires_at INTEGER, finished_at INTEGER);
    CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id) WHERE state = 'available';`);
  const insert = db.prepare(
    "INSERT INTO jobs (type, queue, payload, state, priority, run_at) VALUES ('t', 'default', '{}', 'available', 0, ?)",
  );
  const claim = db.prepare(
    `UPDATE jobs SET state = 'running', lease_token = lease_token + 1, lease_expires_at = ?
     WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND run_at <= ? ORDER BY priority DESC, run_at, id LIMIT ?)
     RETURNING id, lease_token`,
  );
  const complete = db.prepare(
    "UPDATE jobs SET state = 'succeeded', finished_at = ? WHERE id = ? AND lease_token = ?",
  );
  const started = performance.now();
  const now = Date.now();
  db.exec("BEGIN IMMEDIATE");
  for (let i = 0; i < JOBS; i++) insert.run(now);
  db.exec("COMMIT");
  for (;;) {
    db.exec("BEGIN IMMEDIATE");
    const rows = claim.all(now + 30_000, now, BATCH) as { id: number; lease_token: number }[];
    db.exec("COMMIT");
    if (rows.length === 0) break;
    db.exec("BEGIN IMMEDIATE");
    for (const row of rows) complete.run(now, row.id, row.lease_token);
    db.exec("COMMIT");
  }
  const seconds = (performance.now() - started) / 1_000;
  db.close();
  return JOBS / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), "tickflow-sqlite-driver-"));
try {
  const rates: Record<string, number[]> = { "better-sqlite3": [], "node:sqlite": [] };
  for (const [name, open] of Object.entries(drivers)) lifecycle(open, join(dir, `warmup-${name}.db`));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, open] of Object.entries(drivers)) {
      rates[name]!.push(lifecycle(open, join(dir, `${name.replace(":", "-")}-${run}.db`)));
    }
  }
  console.log(`Node ${process.version}, ${JOBS} jobs, batches of ${BATCH}, ${RUNS} alternating runs`);
  for (const [name, list] of Object.entries(rates)) {
    const r = list.map(Math.round);
    console.log(
      `${name.padEnd(16)} median ${Math.round(median(list))} jobs/s [${Math.min(...r)}–${Math.max(...r)}]`,
    );
  }
  const ratio = median(rates["node:sqlite"]!) / median(rates["better-sqlite3"]!);
  console.log(`node:sqlite / better-sqlite3 (medians): ${(ratio * 100).toFixed(1)} %`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
