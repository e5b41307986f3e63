import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { fixtureJobs, hangOnce, leaky, record } from "../fixtures/crash-jobs.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

function setup() {
  const { dir, cleanup } = tempDir();
  const file = join(dir, "tickflow.db");
  const ledgerFile = join(dir, "ledger.txt");
  const env = {
    TICKFLOW_DATABASE_URL: `sqlite:${file}`,
    TICKFLOW_LEASE: "1s",
    TICKFLOW_POLL_INTERVAL: "50ms",
    TICKFLOW_TEST_LEDGER: ledgerFile,
  };
  const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8") : "");
  return { file, env, ledger, cleanup };
}

describe("crash safety (real processes)", () => {
  it("a job whose worker is killed with SIGKILL mid-run completes in another process after the lease expires", async () => {
    const { file, env, ledger, cleanup } = setup();
    process.env.TICKFLOW_TEST_LEDGER = env.TICKFLOW_TEST_LEDGER;
    const store = new SqliteStore(file);
    await store.migrate();
    const client = new Tickflow(store, { jobs: fixtureJobs }, true);
    const first = spawnTickflow(["start", "-c", "test/fixtures/crash.config.ts"], env);
    let second: ReturnType<typeof spawnTickflow> | undefined;
    try {
      const id = await client.enqueue(hangOnce);
      await waitFor(() => ledger().includes(`started ${id} attempt 1`), "the first attempt to start", 15_000);
      first.child.kill("SIGKILL");
      assert.equal(await first.exited, "SIGKILL");
      second = spawnTickflow(["start", "-c", "test/fixtures/crash.config.ts"], env);
      await waitFor(
        async () => (await client.getJob(id))?.state === "succeeded",
        "the job to succeed elsewhere",
        15_000,
      );
      const runs = await client.listJobRuns(id);
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.outcome]),
        [
          [1, "abandoned"],
          [2, "succeeded"],
        ],
      );
      assert.notEqual(runs[0]!.workerId, runs[1]!.workerId);
      assert.match(ledger(), new RegExp(`done ${id} attempt 2`));
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGTERM");
      if (second) await second.exited;
      await client.stop(0);
      await store.close();
      cleanup();
    }
  });

  it("survives handlers that leak rejections, and stops cleanly on SIGTERM", async () => {
    const { file, env, ledger, cleanup } = setup();
    const store = new SqliteStore(file);
    await store.migrate();
    const client = new Tickflow(store, { jobs: fixtureJobs }, true);
    const service = spawnTickflow(["start", "-c", "test/fixtures/crash.config.ts"], env);
    try {
      await client.enqueue(leaky);
      const after = await client.enqueue(record, "after the leak");
      await waitFor(async () => (await client.getJob(after))?.state === "succeeded", "the next job", 15_000);
      await waitFor(
        () => service.output().includes("leaked rejection"),
        "the leaked rejection to be logged",
        5_000,
      );
      assert.match(ledger(), /leaky returned/);
      assert.match(service.output(), /unhandled promise rejection.*leaked rejection/);
      assert.equal(service.child.exitCode, null, "the process is still running");
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
      assert.match(service.output(), /"msg":"stopped"/);
    } finally {
      service.child.kill("SIGKILL");
      await client.stop(0);
      await store.close();
      cleanup();
    }
  });
});
