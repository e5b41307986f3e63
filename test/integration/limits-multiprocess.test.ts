import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LimitOptions } from "../../src/core/limit-options.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { limitedJob } from "../fixtures/limits-jobs.ts";
import { type LimitWorker, sampleLimits, startLimitWorkers } from "../helpers/limit-workers.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const LIMITS: LimitOptions[] = [
  { queue: "lim", concurrency: 3 },
  { queue: "keyed", perKey: 1 },
];
const JOBS_PER_QUEUE = 90;

/**
 * Worker processes share the limits of one database: sampled from the store every few ms, no
 * instant has more running than a rule allows — including after one process is killed with
 * SIGKILL (its leases hold their slots until they expire and are rescued; then others run them).
 */
async function limitsHoldAcrossProcesses(store: Store, processes: number, env: Record<string, string>) {
  const client = new Tickflow(store, { jobs: [limitedJob as never] }, false);
  const workers: LimitWorker[] = await startLimitWorkers(processes, LIMITS, env);
  const sampler = sampleLimits(store.queries, LIMITS);
  try {
    await client.enqueueMany([
      ...Array.from({ length: JOBS_PER_QUEUE }, () => ({
        type: limitedJob,
        payload: { ms: 30 },
        options: { queue: "lim" },
      })),
      ...Array.from({ length: JOBS_PER_QUEUE }, (_, i) => ({
        type: limitedJob,
        payload: { ms: 30 },
        options: { queue: "keyed", concurrencyKey: `k${i % 4}` },
      })),
    ]);
    const succeeded = async () =>
      (await store.queries.listJobs({ states: ["succeeded"], limit: 1000 })).length;
    await waitFor(async () => (await succeeded()) >= 30, "some jobs to finish", 30_000);
    workers[0]!.child.kill("SIGKILL");
    await waitFor(async () => (await succeeded()) === 2 * JOBS_PER_QUEUE, "every job to finish", 60_000);
  } finally {
    await sampler.stop();
    for (const w of workers) w.child.kill("SIGKILL");
  }
  assert.ok(sampler.samples() > 20, `sampled ${sampler.samples()} times`);
  const lim = sampler.maxRunning.get("queue:lim") ?? 0;
  assert.ok(lim <= 3, `at most 3 running in "lim" at every sample, saw ${lim}`);
  assert.ok(lim >= 2, `the limit was reached or nearly (saw ${lim}): the test exercised it`);
  const perKey = sampler.maxPerKey.get("queue:keyed") ?? 0;
  assert.equal(perKey, 1, "at most one running per key, and keys did run");
  assert.ok((sampler.maxRunning.get("queue:keyed") ?? 0) >= 2, "several keys ran at once");
}

describe("limits across processes", () => {
  it("two processes on one SQLite file: concurrency and per-key limits hold at every sample, across a SIGKILL", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const store = new SqliteStore(file);
    await store.migrate();
    try {
      await limitsHoldAcrossProcesses(store, 2, { TICKFLOW_DATABASE_URL: `sqlite:${file}` });
    } finally {
      await store.close();
      cleanup();
    }
  });

  const skip = pgSkipReason();
  it("three processes on PostgreSQL: concurrency and per-key limits hold at every sample, across a SIGKILL", {
    skip: pgRequired ? false : skip,
  }, async () => {
    if (skip) assert.fail(skip);
    const h = await createTestPgStore();
    try {
      await limitsHoldAcrossProcesses(h.store, 3, {
        TICKFLOW_DATABASE_URL: h.url,
        TICKFLOW_PG_SCHEMA: h.schema,
      });
    } finally {
      await h.cleanup();
    }
  });
});
