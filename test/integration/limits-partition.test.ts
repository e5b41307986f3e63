import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const FLOOD = 10_000;
const KEYS = 100;
/** A head-of-line blocked key would wait for the flood: 10 000 × 20 ms / 2 ≈ 100 s. */
const PICKUP_BOUND_MS = 5_000;

/**
 * The partition test: 100 keys under a per-key limit of 2, one flooded with 10 000 jobs enqueued
 * first; the 99 other keys' jobs, enqueued after, start within normal pickup time while the flood
 * still has nearly all its jobs waiting.
 */
async function floodedKeyBlocksNoOne(store: Store) {
  const startedAt = new Map<string, number>();
  const work = defineJob<{ key: string }>("partitioned", async ({ key }) => {
    if (key !== "flood") startedAt.set(key, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  const limits = [{ queue: "p", perKey: 2 }];
  const t = new Tickflow(
    store,
    { jobs: [work as never], limits, concurrency: 10, pollIntervalMs: 50 },
    false,
  );
  for (let i = 0; i < FLOOD; i += 1_000) {
    await t.enqueueMany(
      Array.from({ length: 1_000 }, () => ({
        type: work,
        payload: { key: "flood" },
        options: { queue: "p", concurrencyKey: "flood" },
      })),
    );
  }
  await t.start({ scheduler: false });
  try {
    await waitFor(
      async () => (await store.queries.listJobs({ states: ["succeeded"], limit: 10 })).length > 0,
      "the flood to start",
    );
    const enqueuedAt = Date.now();
    await t.enqueueMany(
      Array.from({ length: KEYS - 1 }, (_, i) => ({
        type: work,
        payload: { key: `k${i}` },
        options: { queue: "p", concurrencyKey: `k${i}` },
      })),
    );
    await waitFor(() => startedAt.size === KEYS - 1, "every other key's job to start", 30_000);
    const pickups = [...startedAt.values()].map((at) => at - enqueuedAt);
    const worst = Math.max(...pickups);
    assert.ok(worst < PICKUP_BOUND_MS, `the other keys started within ${worst} ms of their enqueue`);
    const [usage] = await t.limits.usage();
    const flood = usage!.keys.find((k) => k.key === "flood");
    assert.ok(flood && flood.waiting > FLOOD - 2_000, `the flood still waits (${flood?.waiting} jobs)`);
    assert.ok(flood.running <= 2);
  } finally {
    await t.stop(0);
  }
}

describe("partitions: a flooded key blocks no other key", () => {
  it("sqlite", async () => {
    const h = await createTestSqliteStore();
    try {
      await floodedKeyBlocksNoOne(h.store);
    } finally {
      await h.cleanup();
    }
  });

  const skip = pgSkipReason();
  it("postgres", { skip: pgRequired ? false : skip }, async () => {
    if (skip) assert.fail(skip);
    const h = await createTestPgStore();
    try {
      await floodedKeyBlocksNoOne(h.store);
    } finally {
      await h.cleanup();
    }
  });
});
