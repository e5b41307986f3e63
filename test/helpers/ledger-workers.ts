import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { slowRecord } from "../fixtures/multinode-jobs.ts";
import { spawnTickflow } from "./process.ts";
import { tempDir } from "./sqlite.ts";
import { waitFor } from "./wait-for.ts";

/**
 * Two `tickflow worker` processes on a PostgreSQL database running `fixture.slow-record` jobs,
 * each of which appends `<payload> <pid> <attempt>` to a ledger: for tests that break the
 * database's connections under them and check that nothing was lost.
 */
export interface LedgerWorkers {
  /** Enqueues jobs with payloads `from` … `from + count - 1` through a client of its own. */
  enqueue(from: number, count: number): Promise<string[]>;
  /** Lines of the ledger so far. */
  ledger(): string[];
  /**
   * Waits until `total` jobs succeeded; asserts that nothing else is left, that every payload ran,
   * that both workers are still up and reported the lost connections, and that they stop cleanly.
   */
  expectAllDone(total: number): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startLedgerWorkers(url: string): Promise<LedgerWorkers> {
  const { dir, cleanup } = tempDir();
  const ledgerFile = join(dir, "ledger.txt");
  // The client's connections are not named tickflow, so killing tickflow's sessions spares them.
  const store = new PostgresStore(url, { applicationName: "tickflow-test-client" });
  await store.migrate();
  const client = new Tickflow(store, { jobs: [slowRecord as never] }, true);
  const env = {
    TICKFLOW_DATABASE_URL: url,
    TICKFLOW_TEST_LEDGER: ledgerFile,
    TICKFLOW_LEASE: "2s",
    TICKFLOW_CONCURRENCY: "5",
    TICKFLOW_POLL_INTERVAL: "200ms",
  };
  const workers = [1, 2].map(() => spawnTickflow(["worker", "-c", "test/fixtures/multinode.config.ts"], env));
  const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8").trim().split("\n") : []);
  const stopAll = async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await client.stop();
    await store.close();
    cleanup();
  };
  try {
    await waitFor(
      () => workers.every((w) => w.output().includes("tickflow worker started")),
      "the workers to start",
      20_000,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    enqueue: (from, count) =>
      client.enqueueMany(
        Array.from({ length: count }, (_, i) => ({ type: slowRecord, payload: String(from + i) })),
      ),
    ledger,
    async expectAllDone(total) {
      await waitFor(
        async () =>
          (await store.queries.countJobs(Date.now())).find((c) => c.state === "succeeded")?.count === total,
        `all ${total} jobs to succeed`,
        60_000,
        200,
      );
      const counts = await store.queries.countJobs(Date.now());
      assert.deepEqual(
        counts.filter((c) => c.state !== "succeeded"),
        [],
      );
      assert.equal(new Set(ledger().map((line) => line.split(" ")[0])).size, total, "every job ran");
      for (const w of workers) {
        assert.equal(w.child.exitCode, null, "the worker is still running");
        assert.match(w.output(), /database connection problem/, "the lost connections were reported");
        w.child.kill("SIGTERM");
      }
      assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0]);
    },
    cleanup: stopAll,
  };
}
