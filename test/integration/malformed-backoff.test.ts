import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { job } from "../contract/store-contract.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const failing = defineJob("fails-with-bad-backoff", async () => {
  throw new Error("handler boom");
});

const stores: [string, () => Promise<{ store: Store; cleanup(): Promise<void> }>, string | undefined][] = [
  ["sqlite", createTestSqliteStore, undefined],
  ["postgres", createTestPgStore, pgTestSkip()],
];

describe("a malformed stored backoff", () => {
  for (const [name, open, skip] of stores) {
    it(`keeps the handler's error and retries by the default backoff (${name})`, { skip }, async () => {
      const h = await open();
      const tickflow = new Tickflow(
        h.store,
        { pollIntervalMs: 50, jobs: [failing as never], leaseMs: 60_000 },
        false,
      );
      try {
        const now = Date.now();
        // Stored as a hand edit or a broken release might leave it: no baseMs, so every delay was NaN.
        const [inserted] = await h.store.jobs.insertJobs(
          [job({ type: failing.name, runAt: now, backoff: '{"type":"exponential"}' })],
          now,
        );
        await tickflow.start({ scheduler: false });
        const row = await waitFor(async () => {
          const j = await h.store.queries.getJob(inserted!.id);
          return j?.state === "retry_scheduled" ? j : undefined;
        }, "the failed attempt to be recorded");
        assert.match(
          row.lastError ?? "",
          /^handler boom \(and the job's stored backoff is malformed: .* is not a backoff policy/,
        );
        assert.ok(Number.isFinite(row.runAt) && row.runAt > now, "a real retry time");
        const runs = await h.store.queries.listJobRuns(inserted!.id);
        assert.deepEqual(
          runs.map((r) => r.outcome),
          ["failed"],
          "recorded at once, not abandoned after a lease",
        );
      } finally {
        await tickflow.stop(0);
        await h.cleanup();
      }
    });
  }
});
