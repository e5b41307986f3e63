import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { defineJob } from "../../src/runtime/registry.ts";
import { postgresPoolSize } from "../../src/store/open-store.ts";
import type { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createTickflow } from "../../src/tickflow.ts";
import { startLedgerWorkers } from "../helpers/ledger-workers.ts";
import {
  adminQuery,
  createTestPgDatabase,
  createTestPgStore,
  pgRequired,
  pgSkipReason,
  type TestPgStore,
} from "../helpers/pg.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const skipReason = pgSkipReason();
if (skipReason && !pgRequired) console.log(`postgres facade tests skipped: ${skipReason}`);
const skip = pgRequired ? false : skipReason;

describe("the Tickflow facade on PostgreSQL", { skip }, () => {
  let h: TestPgStore;
  before(async () => {
    if (skipReason) assert.fail(skipReason);
    h = await createTestPgStore();
  });
  after(async () => h?.cleanup());

  it("enqueue(…, { client }) joins the caller's transaction: rolled back → no job; committed → it runs", async () => {
    const ran: string[] = [];
    const audit = defineJob<string>("audit", async (payload) => {
      ran.push(payload);
    });
    const tickflow = await createTickflow({ store: h.store, jobs: [audit as never] });
    await tickflow.start({ scheduler: false });
    const client = new pg.Client({ connectionString: h.url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      await client.query("CREATE TABLE IF NOT EXISTS public.tickflow_test_orders (id text PRIMARY KEY)");
      await client.query("BEGIN");
      await client.query("INSERT INTO public.tickflow_test_orders VALUES ('rolled-back')");
      const rolledBack = await tickflow.enqueue(audit, "rolled-back", { client });
      await client.query("ROLLBACK");

      await client.query("BEGIN");
      await client.query("INSERT INTO public.tickflow_test_orders VALUES ('committed')");
      const committed = await tickflow.enqueue(audit, "committed", { client });
      await sleep(300);
      assert.equal(ran.length, 0, "not visible, so not run, before the commit");
      await client.query("COMMIT");

      await waitFor(() => ran.includes("committed"), "the committed job to run");
      await waitFor(
        async () => (await tickflow.getJob(committed))?.state === "succeeded",
        "the committed job to succeed",
      );
      await sleep(200);
      assert.equal(await tickflow.getJob(rolledBack), null, "the rolled-back job does not exist");
      assert.deepEqual(ran, ["committed"]);
    } finally {
      await client.query("DROP TABLE IF EXISTS public.tickflow_test_orders").catch(() => undefined);
      await client.end();
      await tickflow.stop();
    }
  });

  it("follows the database clock, sizes its pool from concurrency and names its connections tickflow", async () => {
    const database = await createTestPgDatabase();
    const previous = process.env.TICKFLOW_PG_SCHEMA;
    process.env.TICKFLOW_PG_SCHEMA = "tickflow_facade";
    try {
      const tickflow = await createTickflow({ databaseUrl: database.url, concurrency: 3 });
      try {
        await tickflow.start({ scheduler: false });
        const store = tickflow.store as PostgresStore;
        assert.equal(store.schema, "tickflow_facade");
        assert.equal(store.poolSize, postgresPoolSize(3));
        assert.equal(postgresPoolSize(3), 5);
        assert.equal(postgresPoolSize(200), 12);
        const db = await store.databaseNow();
        assert.ok(Math.abs(tickflow.now() - db) < 50, "now() reads the database's time");
        const sessions = await adminQuery(
          "SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [database.name],
        );
        assert.ok(sessions.rowCount! > 0);
        assert.deepEqual(new Set(sessions.rows.map((r) => r.application_name)), new Set(["tickflow"]));
      } finally {
        await tickflow.stop();
      }
    } finally {
      if (previous === undefined) delete process.env.TICKFLOW_PG_SCHEMA;
      else process.env.TICKFLOW_PG_SCHEMA = previous;
      await database.cleanup();
    }
  });
});

describe("PostgreSQL connections killed under running workers", { skip }, () => {
  it("pg_terminate_backend on every tickflow session mid-run: no process exits, work resumes, nothing lost", async () => {
    if (skipReason) assert.fail(skipReason);
    const database = await createTestPgDatabase();
    const run = await startLedgerWorkers(database.url);
    const killAll = async () =>
      (
        await adminQuery(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tickflow'",
          [database.name],
        )
      ).rowCount ?? 0;
    try {
      await run.enqueue(0, 1_000);
      await waitFor(() => run.ledger().length >= 200, "work to be under way", 20_000);
      let killed = 0;
      for (let round = 0; round < 3; round++) {
        killed += await killAll();
        await sleep(300);
      }
      assert.ok(killed >= 4, `killed ${killed} backends (pools and LISTEN connections of both workers)`);
      // Jobs enqueued after the kills are picked up too: the pools reconnected and LISTEN resumed.
      await run.enqueue(1_000, 500);
      await run.expectAllDone(1_500);
    } finally {
      await run.cleanup();
      await database.cleanup();
    }
  });
});
