import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { fixtureJobs, hangOnce } from "../fixtures/crash-jobs.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("prefetched jobs across processes", () => {
  it("a worker killed with SIGKILL while holding prefetched jobs loses none: all run elsewhere", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledgerFile = join(dir, "ledger.txt");
    // Concurrency 2 and the default prefetch (= concurrency): 2 jobs hang, 2 wait leased.
    const env = {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_LEASE: "3s",
      TICKFLOW_POLL_INTERVAL: "50ms",
      TICKFLOW_CONCURRENCY: "2",
      TICKFLOW_TEST_LEDGER: ledgerFile,
    };
    const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8") : "");
    const store = new SqliteStore(file);
    await store.migrate();
    const client = new Tickflow(store, { jobs: fixtureJobs }, true);
    const first = spawnTickflow(["start", "-c", "test/fixtures/crash.config.ts"], env);
    let second: ReturnType<typeof spawnTickflow> | undefined;
    try {
      const ids = await client.enqueueMany(ids4().map(() => ({ type: hangOnce })));
      await waitFor(
        async () =>
          ledger()
            .split("\n")
            .filter((l) => l.startsWith("started")).length === 2 &&
          (await client.queries.listJobs({ states: ["running"] })).length === 4,
        "two jobs running and two prefetched",
        15_000,
      );
      first.child.kill("SIGKILL");
      assert.equal(await first.exited, "SIGKILL");
      const startedFirst = ledger()
        .split("\n")
        .filter((l) => l.startsWith("started"))
        .map((l) => l.split(" ")[1]);
      second = spawnTickflow(["start", "-c", "test/fixtures/crash.config.ts"], env);
      await waitFor(
        async () => {
          const rows = await Promise.all(ids.map((id) => client.getJob(id)));
          return rows.every((r) => r?.state === "succeeded");
        },
        "every job to succeed in the second process",
        20_000,
      );
      for (const id of ids) {
        assert.equal(
          ledger()
            .split("\n")
            .filter((l) => l === `done ${id} attempt 2`).length,
          1,
          `job ${id} ran once`,
        );
        const runs = await client.listJobRuns(id);
        assert.deepEqual(
          runs.map((r) => [r.attempt, r.outcome]),
          [
            [1, "abandoned"],
            [2, "succeeded"],
          ],
          "a prefetched job's lease is recovered like a running one's",
        );
      }
      const prefetchedOnly = ids.filter((id) => !startedFirst.includes(id));
      assert.equal(prefetchedOnly.length, 2, "two jobs were held without starting");
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGTERM");
      if (second) await second.exited;
      await client.stop(0);
      await store.close();
      cleanup();
    }
  });

  it("a pool busy with slow jobs hands its prefetched jobs back, and an idle peer runs them", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const started = new Set<string>();
    let releaseBusy: (() => void) | undefined;
    const slow = defineJob<{ n: number }>("slow", async ({ n }, ctx) => {
      started.add(ctx.jobId);
      if (n === 0) await new Promise<void>((resolve) => (releaseBusy = resolve));
    });
    const storeA = new SqliteStore(file);
    await storeA.migrate();
    const storeB = new SqliteStore(file);
    const options = { jobs: [slow] as never[], leaseMs: 1_000, pollIntervalMs: 50 };
    const busy = new Tickflow(storeA, { ...options, concurrency: 1, prefetch: 2, workerId: "busy" }, true);
    const idle = new Tickflow(storeB, { ...options, concurrency: 2, workerId: "idle" }, true);
    try {
      await busy.start();
      const ids = await busy.enqueueMany([0, 1, 2].map((n) => ({ type: slow, payload: { n } })));
      await waitFor(() => started.size === 1, "the first job to start");
      assert.equal((await busy.queries.listJobs({ states: ["running"] })).length, 3, "one running, two held");
      await idle.start();
      await waitFor(
        async () => (await idle.queries.listJobs({ states: ["succeeded"] })).length === 2,
        "the peer to run them",
        10_000,
      );
      assert.equal(
        (await busy.getJob(ids[0]!))?.leaseOwner,
        "busy",
        "the slow job still runs in the busy pool",
      );
      for (const id of ids.slice(1)) {
        assert.deepEqual(
          (await idle.listJobRuns(id)).map((r) => [r.attempt, r.outcome, r.workerId]),
          [[1, "succeeded", "idle"]],
          "handed back unstarted: no attempt counted",
        );
      }
    } finally {
      releaseBusy?.();
      await idle.stop(0);
      await busy.stop(0);
      await storeB.close();
      await storeA.close();
      cleanup();
    }
  });
});

const ids4 = () => [0, 1, 2, 3];
