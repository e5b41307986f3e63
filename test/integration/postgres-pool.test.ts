import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { defineJob } from "../../src/runtime/registry.ts";
import { createTickflow } from "../../src/tickflow.ts";
import { adminQuery, pgTestSkip, pgTestUrl } from "../helpers/pg.ts";

/**
 * An application's own pg.Pool given to createTickflow: tickflow connects with its settings, runs
 * jobs, joins the application's transaction with a PoolClient, and leaves the pool to it.
 */
describe("createTickflow({ pool }) on PostgreSQL", { skip: pgTestSkip() }, () => {
  const schema = `tickflow_test_${randomBytes(6).toString("hex")}`;
  let pool: pg.Pool;

  before(() => {
    process.env.TICKFLOW_PG_SCHEMA = schema;
    pool = new pg.Pool({ connectionString: pgTestUrl(), max: 2 });
  });
  after(async () => {
    await pool.end();
    await adminQuery(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });

  it("runs a job, enqueues inside the application's transaction, and leaves the pool open", async () => {
    const ran: number[] = [];
    const job = defineJob<{ n: number }>("pool.job", async (payload) => {
      ran.push(payload.n);
    });
    const tickflow = await createTickflow({ pool, jobs: [job], pollIntervalMs: 50 });
    assert.equal(tickflow.store.dialect, "postgres");
    await tickflow.start({ scheduler: false });
    try {
      await tickflow.enqueue(job, { n: 1 });
      // Rolled back: that job never exists. Committed: it does, and runs.
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await tickflow.enqueue(job, { n: 2 }, { client });
        await client.query("ROLLBACK");
        await client.query("BEGIN");
        await tickflow.enqueue(job, { n: 3 }, { client });
        await client.query("COMMIT");
      } finally {
        client.release();
      }
      const deadline = Date.now() + 20_000;
      while (ran.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...ran].sort(), [1, 3]);
      const rows = await pool.query(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.jobs`);
      assert.equal(rows.rows[0].n, 2, "the rolled-back job was never written");
    } finally {
      await tickflow.stop();
    }
    // The application's pool is still its own, and still works.
    assert.equal((await pool.query("SELECT 1 AS one")).rows[0].one, 1);
  });

  it("something that is not a pg.Pool is one clear line", async () => {
    await assert.rejects(
      createTickflow({ pool: { query: () => undefined } as never }),
      /pool must be a pg\.Pool/,
    );
  });
});
