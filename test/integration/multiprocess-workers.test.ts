import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { fixtureJobs, record } from "../fixtures/crash-jobs.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("several worker processes on one SQLite file", () => {
  it("run 3 000 jobs, each exactly once, with no SQLITE_BUSY reaching anyone", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledgerFile = join(dir, "ledger.txt");
    const env = {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_TEST_LEDGER: ledgerFile,
      TICKFLOW_POLL_INTERVAL: "20ms",
    };
    const store = new SqliteStore(file);
    await store.migrate();
    const client = new Tickflow(store, { jobs: fixtureJobs }, true);
    const workers = [1, 2, 3].map(() =>
      spawnTickflow(["worker", "-c", "test/fixtures/crash.config.ts"], env),
    );
    try {
      await waitFor(
        () => workers.every((w) => w.output().includes("tickflow worker started")),
        "workers to start",
        15_000,
      );
      const total = 3_000;
      for (let i = 0; i < total; i += 500) {
        await client.enqueueMany(
          Array.from({ length: 500 }, (_, j) => ({ type: record, payload: String(i + j) })),
        );
      }
      await waitFor(
        async () =>
          (await store.queries.countJobs(Date.now())).find((c) => c.state === "succeeded")?.count === total,
        "all jobs to succeed",
        60_000,
        100,
      );
      const lines = readFileSync(ledgerFile, "utf8").trim().split("\n");
      assert.equal(lines.length, total, "each job ran exactly once");
      assert.equal(new Set(lines).size, total);
      for (const w of workers) {
        assert.doesNotMatch(w.output(), /SQLITE_BUSY|database is locked|internal error/);
        w.child.kill("SIGTERM");
      }
      assert.deepEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0, 0]);
    } finally {
      for (const w of workers) w.child.kill("SIGKILL");
      await client.stop();
      cleanup();
    }
  });
});
