import { join } from "node:path";
import type { BenchEnv } from "./adapter.ts";
import { BULK_CHUNK, CONCURRENCY } from "./adapter.ts";

/**
 * The floors: what the same work costs with the bare driver and no queue library. SQLite: one
 * WAL file (synchronous=NORMAL, as tickflow and plainjob run), a job is one transaction that
 * INSERTs its row and one that UPDATEs it to done — the two durable writes any queue makes per
 * job. PostgreSQL: 10 connections each claiming 10 rows per statement (UPDATE … FOR UPDATE SKIP
 * LOCKED RETURNING) and completing them in one UPDATE: two commits per 10 jobs, the batching a
 * tuned library can reach at concurrency 10 with nothing else on the path.
 */

interface BetterSqlite {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction<T extends (...args: never[]) => unknown>(fn: T): T & { immediate: T };
  close(): void;
}
interface PgClient {
  connect(): Promise<void>;
  query(
    text: string | { name?: string; text: string; values?: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: { id: string }[]; rowCount: number | null }>;
  end(): Promise<void>;
}
type PgModule = {
  default: {
    Client: new (options: { connectionString: string }) => PgClient;
    escapeIdentifier(s: string): string;
  };
};

async function sqlite(env: BenchEnv): Promise<BetterSqlite> {
  const Database = ((await env.loadPeer("better-sqlite3")) as { default: new (file: string) => BetterSqlite })
    .default;
  const db = new Database(join(env.dir, "floor.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE jobs (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, state TEXT NOT NULL)");
  return db;
}

/** Jobs/s: one transaction per job (INSERT, then UPDATE to done). */
export async function sqliteFloorProcessed(env: BenchEnv, jobs: number): Promise<number> {
  const db = await sqlite(env);
  const insert = db.prepare("INSERT INTO jobs (id, payload, state) VALUES (?, ?, 'running')");
  const done = db.prepare("UPDATE jobs SET state = 'done' WHERE id = ?");
  const one = db.transaction((id: number) => {
    insert.run(id, `{"n":${id}}`);
    done.run(id);
  });
  const started = performance.now();
  for (let id = 1; id <= jobs; id++) one.immediate(id);
  const seconds = (performance.now() - started) / 1_000;
  db.close();
  return jobs / seconds;
}

/** Jobs/s: one transaction per BULK_CHUNK rows. */
export async function sqliteFloorBulk(env: BenchEnv, jobs: number): Promise<number> {
  const db = await sqlite(env);
  const insert = db.prepare("INSERT INTO jobs (payload, state) VALUES (?, 'available')");
  const chunk = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n++) insert.run(`{"n":${n}}`);
  });
  const started = performance.now();
  for (let i = 0; i < jobs; i += BULK_CHUNK) chunk.immediate(i, Math.min(jobs, i + BULK_CHUNK));
  const seconds = (performance.now() - started) / 1_000;
  db.close();
  return jobs / seconds;
}

async function pgTable(env: BenchEnv) {
  const pg = ((await env.loadPeer("pg")) as PgModule).default;
  const connect = async () => {
    const client = new pg.Client({ connectionString: env.pgUrl! });
    await client.connect();
    return client;
  };
  const admin = await connect();
  const schema = pg.escapeIdentifier(env.namespace);
  await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await admin.query(
    `CREATE TABLE ${schema}.jobs (id bigserial PRIMARY KEY, payload jsonb NOT NULL, state text NOT NULL)`,
  );
  await admin.query(`CREATE INDEX ON ${schema}.jobs (id) WHERE state = 'available'`);
  return { admin, connect, table: `${schema}.jobs` };
}

async function pgInsert(client: PgClient, table: string, from: number, to: number) {
  const ns = Array.from({ length: to - from }, (_, i) => from + i);
  await client.query(
    `INSERT INTO ${table} (payload, state) SELECT jsonb_build_object('n', n), 'available' FROM unnest($1::int[]) AS n`,
    [ns],
  );
}

/** Jobs/s: multi-row INSERT of BULK_CHUNK rows per statement. */
export async function pgFloorBulk(env: BenchEnv, jobs: number): Promise<number> {
  const { admin, table } = await pgTable(env);
  try {
    const started = performance.now();
    for (let i = 0; i < jobs; i += BULK_CHUNK)
      await pgInsert(admin, table, i, Math.min(jobs, i + BULK_CHUNK));
    return jobs / ((performance.now() - started) / 1_000);
  } finally {
    await admin.end();
  }
}

/** Jobs/s: `jobs` rows claimed and completed by 10 connections, 10 rows per round trip. */
export async function pgFloorProcessed(env: BenchEnv, jobs: number): Promise<number> {
  const { admin, connect, table } = await pgTable(env);
  const workers = await Promise.all(Array.from({ length: CONCURRENCY }, connect));
  try {
    for (let i = 0; i < jobs; i += BULK_CHUNK)
      await pgInsert(admin, table, i, Math.min(jobs, i + BULK_CHUNK));
    const claim = {
      name: "floor_claim",
      text: `UPDATE ${table} SET state = 'running' WHERE id IN (SELECT id FROM ${table} WHERE state = 'available'
               ORDER BY id FOR UPDATE SKIP LOCKED LIMIT ${CONCURRENCY}) RETURNING id`,
    };
    const started = performance.now();
    await Promise.all(
      workers.map(async (client) => {
        for (;;) {
          const { rows } = await client.query(claim);
          if (rows.length === 0) return;
          const ids = rows.map((row) => row.id);
          await client.query({
            name: "floor_done",
            text: `UPDATE ${table} SET state = 'done' WHERE id = ANY($1::bigint[])`,
            values: [ids],
          });
        }
      }),
    );
    return jobs / ((performance.now() - started) / 1_000);
  } finally {
    await Promise.all([admin, ...workers].map((c) => c.end()));
  }
}
