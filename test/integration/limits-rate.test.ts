import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LimitOptions } from "../../src/core/limit-options.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { limitedJob } from "../fixtures/limits-jobs.ts";
import { startLimitWorkers } from "../helpers/limit-workers.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const RATE = 50;
const LIMITS: LimitOptions[] = [{ queue: "rated", rate: { limit: RATE, period: "1s" } }];
/** The steady state is measured after the first burst (the bucket starts full: up to 50 at once). */
const WARMUP_MS = 2_000;
const slow = process.env.TICKFLOW_TEST_SLOW === "1";
const WINDOW_MS = slow ? 30_000 : 5_000;

/**
 * A rate of 50/s holds within ±5 % across three processes on PostgreSQL: starts are counted from
 * the jobs' own ledger over the window (30 s with TICKFLOW_TEST_SLOW=1, else 5 s).
 */
describe("rate limit across three processes", () => {
  const skip = pgSkipReason();
  it(`${RATE}/s holds within ±5 % over ${WINDOW_MS / 1000} s`, {
    skip: pgRequired ? false : skip,
  }, async (t) => {
    if (skip) assert.fail(skip);
    const h = await createTestPgStore();
    const { dir, cleanup } = tempDir();
    const ledger = join(dir, "starts.txt");
    const client = new Tickflow(h.store, { jobs: [limitedJob as never] }, false);
    const env = {
      TICKFLOW_DATABASE_URL: h.url,
      TICKFLOW_PG_SCHEMA: h.schema,
      TICKFLOW_TEST_LEDGER: ledger,
      TICKFLOW_TEST_CONCURRENCY: "10",
    };
    const workers = await startLimitWorkers(3, LIMITS, env);
    try {
      const total = Math.ceil((RATE * (WARMUP_MS + WINDOW_MS + 2_000)) / 1000);
      await client.enqueueMany(
        Array.from({ length: total }, () => ({
          type: limitedJob,
          payload: { ms: 5 },
          options: { queue: "rated" },
        })),
      );
      const starts = () =>
        existsSync(ledger) ? readFileSync(ledger, "utf8").trim().split("\n").map(Number) : [];
      await waitFor(() => starts().length > 0, "the first start", 20_000);
      const t0 = Math.min(...starts());
      await waitFor(
        () => Math.max(...starts()) >= t0 + WARMUP_MS + WINDOW_MS,
        "the window to pass",
        WINDOW_MS + 30_000,
      );
      const from = t0 + WARMUP_MS;
      const inWindow = starts().filter((t) => t >= from && t < from + WINDOW_MS).length;
      const expected = (RATE * WINDOW_MS) / 1000;
      const error = Math.abs(inWindow - expected) / expected;
      t.diagnostic(`${inWindow} starts in ${WINDOW_MS} ms (expected ${expected})`);
      assert.ok(
        error <= 0.05,
        `${inWindow} starts in ${WINDOW_MS} ms, expected ${expected} ±5 % (off by ${(error * 100).toFixed(1)} %)`,
      );
      const burst = starts().filter((t) => t < t0 + 1_000).length;
      assert.ok(
        burst <= 2 * RATE + 5,
        `the first second started at most the bucket plus a second's refill (${burst})`,
      );
    } finally {
      for (const w of workers) w.child.kill("SIGKILL");
      await h.cleanup();
      cleanup();
    }
  });
});
