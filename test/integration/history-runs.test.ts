import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const DAY = 86_400_000;

/**
 * Job attempts and flow runs folded into rollups by a running Tickflow's maintenance (spec §11):
 * per queue and per flow, succeeded and failed counted as they happened, on both stores.
 */
function historyOfRuns(label: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`history of job runs and flow runs (${label})`, () => {
    it("maintenance folds attempts per queue and runs per flow into rollups", async () => {
      const h = await open();
      const ok = defineJob("history.ok", async () => {}, { queue: "mail" });
      const bad = defineJob(
        "history.bad",
        async () => {
          throw new Error("refused");
        },
        { queue: "mail", maxAttempts: 1 },
      );
      const good = defineFlow({ name: "export", run: async () => {} });
      const broken = defineFlow({
        name: "import",
        retries: 0,
        run: async () => {
          throw new Error("no source");
        },
      });
      // No lag: rows are folded on the next maintenance round.
      const tickflow = new Tickflow(
        h.store,
        {
          jobs: [ok, bad] as never,
          flows: [good, broken],
          pollIntervalMs: 50,
          leaseMs: 1_000,
          rollupLagMs: 0,
        },
        false,
      );
      await tickflow.start();
      try {
        await tickflow.enqueueMany([{ type: ok }, { type: ok }, { type: bad }]);
        await tickflow.flows.trigger("export");
        await tickflow.flows.trigger("import");
        const counts = async () => {
          const now = tickflow.now();
          const q = { period: "day" as const, from: now - DAY, to: now + DAY };
          const [queues, flows] = await Promise.all([
            tickflow.queries.listRollups({ subject: "queue", ...q }),
            tickflow.queries.listRollups({ subject: "flow", ...q }),
          ]);
          return new Map([...queues, ...flows].map((r) => [`${r.subject}:${r.name}`, r.counts]));
        };
        await waitFor(
          async () => {
            const c = await counts();
            return c.get("queue:mail")?.total === 3 && c.has("flow:export") && c.has("flow:import");
          },
          "the runs folded by maintenance",
          15_000,
        );
        const c = await counts();
        assert.equal(c.get("queue:mail")?.succeeded, 2);
        assert.equal(c.get("queue:mail")?.failed, 1);
        assert.deepEqual([c.get("flow:export")?.succeeded, c.get("flow:export")?.failed], [1, 0]);
        assert.deepEqual([c.get("flow:import")?.succeeded, c.get("flow:import")?.failed], [0, 1]);
      } finally {
        await tickflow.stop(0);
        await h.cleanup();
      }
    });
  });
}

historyOfRuns("SQLite", createTestSqliteStore);
const skip = pgTestSkip();
if (skip) describe("history of job runs and flow runs (PostgreSQL)", { skip }, () => {});
else historyOfRuns("PostgreSQL", async () => createTestPgStore());
