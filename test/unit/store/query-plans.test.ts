import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { HOT_PATH_FINISH_SQL } from "../../../src/store/postgres/postgres-job-finishes.ts";
import { HOT_PATH_JOB_SQL as PG_JOBS } from "../../../src/store/postgres/postgres-jobs.ts";
import { HOT_PATH_READ_SQL as PG_READS } from "../../../src/store/postgres/postgres-reads.ts";
import { HOT_PATH_JOB_SQL as SQLITE_JOBS } from "../../../src/store/sqlite/sqlite-jobs.ts";
import { HOT_PATH_READ_SQL as SQLITE_READS } from "../../../src/store/sqlite/sqlite-reads.ts";
import type { Store } from "../../../src/store/store.ts";
import { job } from "../../contract/store-contract.ts";
import { createTestPgStore, pgTestSkip, type TestPgStore } from "../../helpers/pg.ts";
import { createTestSqliteStore } from "../../helpers/sqlite.ts";

/**
 * The hot path's queries keep their indexes (issue 23): the claim walks the claim order's index
 * and is guarded by a seek on time, the next-due lookup seeks on time, the lease reaper reads the
 * running jobs' index. Planned on a table with many jobs waiting in the future and a backlog
 * due: where a lost index costs a walk of every pending job per idle poll, or a sort of the
 * backlog per claim.
 */
const NOW = Date.UTC(2030, 0, 1);
const FUTURE = 20_000;
const DUE = 5_000;

async function fill(store: Store): Promise<void> {
  for (let i = 0; i < FUTURE; i += 5_000) {
    const jobs = Array.from({ length: 5_000 }, (_, k) => job({ runAt: NOW + 3_600_000 + i + k }));
    await store.jobs.insertJobs(jobs, NOW);
  }
  await store.jobs.insertJobs(
    Array.from({ length: DUE }, (_, k) => job({ runAt: NOW - k, queue: k % 2 ? "default" : "other" })),
    NOW,
  );
}

describe("hot-path query plans: SQLite (EXPLAIN QUERY PLAN)", () => {
  let harness: Awaited<ReturnType<typeof createTestSqliteStore>>;
  let db: Database.Database;
  /** The plan's steps, each with its parent's id (EXPLAIN QUERY PLAN is a tree). */
  const planRows = (sql: string, params: unknown[]) =>
    db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
      id: number;
      parent: number;
      detail: string;
    }[];
  const plan = (sql: string, params: unknown[]) => planRows(sql, params).map((r) => r.detail);
  const claimParams = (queues: string[]) => ["w", NOW + 1, NOW, NOW, ...queues, NOW, 10, ...queues, NOW];

  before(async () => {
    harness = await createTestSqliteStore();
    await fill(harness.store);
    db = new Database(harness.file, { readonly: true });
  });
  after(async () => {
    db.close();
    await harness.cleanup();
  });

  /** The walk `walk` matches, with no full scan anywhere and no sort beside it (its level's ORDER BY). */
  const walksInOrder = (sql: string, params: unknown[], walk: RegExp) => {
    const rows = planRows(sql, params);
    const shown = rows.map((r) => r.detail).join(" | ");
    const step = rows.find((r) => walk.test(r.detail));
    assert.ok(step, `no ${walk}: ${shown}`);
    const beside = rows.filter((r) => r.parent === step.parent && r.id !== step.id).map((r) => r.detail);
    assert.ok(
      !beside.some((d) => /TEMP B-TREE FOR ORDER BY/.test(d)),
      `the walk's rows get sorted: ${shown}`,
    );
    for (const r of rows) assert.doesNotMatch(r.detail, /^SCAN (jobs|j|d|p|r)$/, `a full scan: ${shown}`);
    // The guard: an index seek on time, evaluated apart from the walk.
    assert.ok(
      rows.some((r) => /^SEARCH d USING (COVERING )?INDEX jobs_pending_run_at$/.test(r.detail)),
      `no time guard: ${shown}`,
    );
  };

  it("the claim walks jobs_due in claim order, guarded by a seek on jobs_pending_run_at", () => {
    walksInOrder(SQLITE_JOBS.claim(undefined), claimParams([]), /^SCAN j USING INDEX jobs_due$/);
  });

  it("the claim of some queues walks jobs_claim, guarded the same way", () => {
    walksInOrder(
      SQLITE_JOBS.claim(1),
      claimParams(["other"]),
      /^SEARCH j USING INDEX jobs_claim \(queue=\?\)$/,
    );
  });

  it("the next due time is a seek on jobs_pending_run_at, with or without queues", () => {
    for (const [sql, params] of [
      [SQLITE_READS.nextRunAt(undefined), []],
      [SQLITE_READS.nextRunAt(1), ["default"]],
    ] as const) {
      const steps = plan(sql, [...params]);
      assert.deepEqual(steps, ["SEARCH jobs USING INDEX jobs_pending_run_at"], sql);
    }
  });

  it("the lease reaper reads jobs_running_lease", () => {
    const steps = plan(SQLITE_JOBS.expiredLeases, [NOW]);
    assert.deepEqual(steps, ["SEARCH jobs USING INDEX jobs_running_lease (lease_expires_at<?)"]);
  });
});

describe("hot-path query plans: PostgreSQL (EXPLAIN)", { skip: pgTestSkip() }, () => {
  let h: TestPgStore;
  let client: pg.Client;
  const plan = async (sql: string, params: unknown[]) =>
    (await client.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r["QUERY PLAN"] as string).join("\n");

  before(async () => {
    h = await createTestPgStore();
    await fill(h.store);
    client = new pg.Client({ connectionString: h.url });
    await client.connect();
    await client.query(`SET search_path TO ${pg.escapeIdentifier(h.schema)}`);
    // Plans as they are once autovacuum has looked at the table.
    await client.query("ANALYZE jobs");
  });
  after(async () => {
    await client?.end();
    await h?.cleanup();
  });

  const noSeqScan = (text: string) => assert.doesNotMatch(text, /Seq Scan on jobs/, text);

  it("the claim walks jobs_due, after a one-time guard that seeks jobs_pending_run_at", async () => {
    const text = await plan(PG_JOBS.claim, [NOW, 10, "w", NOW + 1]);
    assert.match(text, /One-Time Filter/, text);
    assert.match(text, /jobs_pending_run_at/, text);
    assert.match(text, /Index Scan using jobs_due/, text);
    noSeqScan(text);
  });

  it("the claim of some queues walks jobs_claim per queue, guarded the same way", async () => {
    const text = await plan(PG_JOBS.claimInQueues, [NOW, 10, "w", NOW + 1, ["default", "other"]]);
    assert.match(text, /One-Time Filter/, text);
    assert.match(text, /jobs_pending_run_at/, text);
    assert.match(text, /Index Scan using jobs_claim/, text);
    noSeqScan(text);
  });

  it("the next due time is a seek on jobs_pending_run_at, with or without queues", async () => {
    for (const [sql, params] of [
      [PG_READS.nextRunAt, []],
      [PG_READS.nextRunAtInQueues, [["default"]]],
    ] as const) {
      const text = await plan(sql, [...params]);
      assert.match(text, /Index (Only )?Scan using jobs_pending_run_at/, text);
      noSeqScan(text);
    }
  });

  it("the lease reaper reads jobs_running_lease", async () => {
    const text = await plan(HOT_PATH_FINISH_SQL.expiredLeases, [NOW]);
    assert.match(text, /jobs_running_lease/, text);
    noSeqScan(text);
  });
});
