import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import pg from "pg";
import type { JobsInsertedHint } from "../../src/store/store.ts";
import { adminQuery, createTestPgStore, pgRequired, pgSkipReason, type TestPgStore } from "../helpers/pg.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { runAlertStoreContract } from "./alert-store-contract.ts";
import { runFlowStoreContract } from "./flow-store-contract.ts";
import { runHistoryStoreContract } from "./history-store-contract.ts";
import { runLimitsContract } from "./limits-contract.ts";
import { runMonitorStoreContract } from "./monitor-store-contract.ts";
import { runPoisonContract } from "./poison-contract.ts";
import { runScheduleRuntimeContract } from "./schedule-runtime-contract.ts";
import { job, runStoreContract } from "./store-contract.ts";

const skipReason = pgSkipReason();

if (skipReason) {
  if (pgRequired) {
    it("PostgreSQL is required (TICKFLOW_REQUIRE_PG=1)", () => assert.fail(skipReason));
  } else {
    console.log(`postgres tests skipped: ${skipReason}`);
    it("store contract: postgres", { skip: skipReason }, () => undefined);
  }
} else {
  runStoreContract("postgres", createTestPgStore);
  runMonitorStoreContract("postgres", createTestPgStore);
  runFlowStoreContract("postgres", createTestPgStore);
  runHistoryStoreContract("postgres", createTestPgStore);
  runAlertStoreContract("postgres", createTestPgStore);
  runLimitsContract("postgres", createTestPgStore);
  runScheduleRuntimeContract("postgres", createTestPgStore);
  runPoisonContract("postgres", async () => {
    const h = await createTestPgStore();
    const prefix = `${pg.escapeIdentifier(h.schema)}.`;
    return { ...h, raw: async (statement) => void (await adminQuery(statement.replaceAll("{t}", prefix))) };
  });

  describe("postgres store specifics", () => {
    const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
    let h: TestPgStore;
    const errors: string[] = [];
    before(async () => {
      h = await createTestPgStore({ onError: (error, where) => errors.push(`${where}: ${error.message}`) });
    });
    after(async () => h.cleanup());

    /** LISTEN connects lazily on the first subscription: wait until the store's listener runs it. */
    const listening = () =>
      waitFor(
        async () =>
          (
            await adminQuery(
              "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
              [h.schema],
            )
          ).rowCount,
        "the LISTEN connection",
      );

    const withClient = async (fn: (client: pg.Client) => Promise<void>) => {
      const client = new pg.Client({ connectionString: h.url });
      client.on("error", () => undefined);
      await client.connect();
      try {
        await fn(client);
      } finally {
        await client.end();
      }
    };

    it("enqueues on the caller's transaction: the job exists iff the caller commits", async () => {
      await withClient(async (client) => {
        await client.query("BEGIN");
        const [rolledBack] = await h.store.jobs.insertJobs([job({ queue: "tx" })], T0, { client });
        assert.equal(await h.store.queries.getJob(rolledBack!.id), null, "invisible before commit");
        await client.query("ROLLBACK");
        assert.equal(await h.store.queries.getJob(rolledBack!.id), null);

        await client.query("BEGIN");
        const [committed] = await h.store.jobs.insertJobs([job({ queue: "tx" })], T0, { client });
        await client.query("COMMIT");
        assert.equal((await h.store.queries.getJob(committed!.id))?.state, "available");
        // The caller's session keeps its own search_path.
        const { rows } = await client.query("SHOW search_path");
        assert.doesNotMatch(String(rows[0]?.search_path), /tickflow_test/);
      });
    });

    it("wakes listeners in other stores through NOTIFY, only after commit", async () => {
      const other = await h.openAnother();
      const hints: JobsInsertedHint[] = [];
      other.onJobsInserted((hint) => hints.push(hint));
      await listening();
      await withClient(async (client) => {
        await client.query("BEGIN");
        await h.store.jobs.insertJobs([job({ queue: "notify", runAt: T0 + 5 })], T0, { client });
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(hints.length, 0, "no hint before commit");
        await client.query("COMMIT");
      });
      await waitFor(() => hints.length > 0, "the NOTIFY hint");
      assert.deepEqual(hints[0], { queues: ["notify"], earliestRunAt: T0 + 5 });
    });

    it("runs one job per state key at a time, even with concurrent claimers", async () => {
      const other = await h.openAnother();
      const keys = ["a", "b", "c"];
      await h.store.jobs.insertJobs(
        Array.from({ length: 60 }, (_, i) => job({ stateKey: keys[i % 3]!, queue: "keyed" })),
        T0,
      );
      const order: string[] = [];
      const work = async (store: typeof h.store, worker: string) => {
        for (let idle = 0; idle < 20; ) {
          const got = await store.jobs.claimJobs({
            workerId: worker,
            queues: ["keyed"],
            limit: 5,
            leaseMs: 30_000,
            now: T0,
          });
          if (got.length === 0) {
            idle++;
            await new Promise((resolve) => setTimeout(resolve, 2));
            continue;
          }
          idle = 0;
          const { rows } = await adminQuery(
            `SELECT state_key, count(*)::int AS n FROM ${h.schema}.jobs WHERE state = 'running' GROUP BY 1`,
          );
          for (const r of rows)
            assert.equal(r.n, 1, `two jobs with state key ${r.state_key} running at once`);
          order.push(...got.map((g) => g.id));
          await store.jobs.finishAttempts(
            got.map((g) => ({
              jobId: g.id,
              leaseToken: g.leaseToken,
              workerId: worker,
              attempt: g.attempt,
              startedAt: T0,
              endedAt: T0,
              outcome: "succeeded" as const,
              next: { state: "succeeded" as const },
              error: null,
              state: null,
              tick: null,
            })),
          );
        }
      };
      await Promise.all([work(h.store, "w1"), work(other, "w2"), work(h.store, "w3"), work(other, "w4")]);
      assert.equal(new Set(order).size, 60);
      // Within a key, jobs ran in insertion order.
      for (const key of keys) {
        const ids = (await h.store.queries.listJobs({ queue: "keyed", limit: 100 }))
          .filter((j) => j.stateKey === key)
          .map((j) => j.id)
          .reverse();
        assert.deepEqual(
          order.filter((id) => ids.includes(id)),
          ids,
        );
      }
    });

    it("a claim lost in a server crash does not hand its lease token out again", async () => {
      // Claims commit asynchronously: a crash may lose one, leaving the row as it was before it.
      const [inserted] = await h.store.jobs.insertJobs([job({ queue: "lost-claim" })], T0);
      const id = inserted!.id;
      const claimOf = async (workerId: string) => {
        const [c] = await h.store.jobs.claimJobs({
          workerId,
          queues: ["lost-claim"],
          limit: 1,
          leaseMs: 30_000,
          now: T0,
        });
        assert.equal(c?.id, id);
        return c!;
      };
      const before = (
        await adminQuery(`SELECT lease_token, attempt FROM ${h.schema}.jobs WHERE id = $1`, [id])
      ).rows[0];
      const lost = await claimOf("w1");
      await adminQuery(
        `UPDATE ${h.schema}.jobs SET state = 'available', lease_token = $2, attempt = $3, lease_owner = NULL,
           lease_expires_at = NULL, started_at = NULL WHERE id = $1`,
        [id, before?.lease_token, before?.attempt],
      );
      const taken = await claimOf("w2");
      assert.equal(taken.attempt, lost.attempt, "the same attempt number, as the lost claim's");
      assert.notEqual(taken.leaseToken, lost.leaseToken);
      const finish = (c: typeof lost, workerId: string) => ({
        jobId: c.id,
        leaseToken: c.leaseToken,
        workerId,
        attempt: c.attempt,
        startedAt: T0,
        endedAt: T0 + 1,
        outcome: "succeeded" as const,
        next: { state: "succeeded" as const },
        error: null,
        state: null,
        tick: null,
      });
      assert.deepEqual(await h.store.jobs.finishAttempts([finish(lost, "w1")]), ["lease_lost"]);
      assert.equal(
        (await h.store.queries.getJob(id))?.state,
        "running",
        "the new holder's attempt is untouched",
      );
      assert.deepEqual(await h.store.jobs.finishAttempts([finish(taken, "w2")]), ["applied"]);
      assert.equal((await h.store.queries.getJob(id))?.state, "succeeded");
    });

    it("ignores hints from another schema in the same database", async () => {
      const elsewhere = await createTestPgStore();
      try {
        const hints: JobsInsertedHint[] = [];
        h.store.onJobsInserted((hint) => hints.push(hint));
        await listening();
        await elsewhere.store.jobs.insertJobs([job({ queue: "other-schema" })], T0);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(hints, []);
      } finally {
        await elsewhere.cleanup();
      }
    });

    describe("when backends are killed", () => {
      afterEach(() => {
        errors.length = 0;
      });

      it("keeps working: the pool reconnects and LISTEN resumes", async () => {
        const sender = await h.openAnother();
        const hints: JobsInsertedHint[] = [];
        h.store.onJobsInserted((hint) => hints.push(hint));
        await h.store.queries.nextRunAt(undefined); // a pooled connection to kill
        await listening();
        const killed = await adminQuery(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
          [h.schema],
        );
        assert.ok(killed.rowCount! > 0);
        await waitFor(() => errors.length > 0, "the reported connection errors");
        assert.ok(await h.store.queries.countJobs(T0));
        // After the listener resumes it wakes everyone once (notifications may have been lost)...
        await waitFor(
          () => hints.some((x) => x.earliestRunAt === 0),
          "the catch-up hint after LISTEN resumed",
        );
        // ...and hears new inserts again.
        await sender.jobs.insertJobs([job({ queue: "after-kill" })], T0);
        await waitFor(() => hints.some((x) => x.queues.includes("after-kill")), "a hint after reconnect");
      });
    });
  });
}
