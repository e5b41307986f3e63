import type { JobDefinition } from "../../src/runtime/registry.ts";
import { Tickflow, type TickflowOptions } from "../../src/tickflow.ts";
import { createTestSqliteStore } from "./sqlite.ts";

/** A started Tickflow on a fresh temp SQLite file, with fast intervals for tests. */
export async function startTestTickflow(
  jobs: JobDefinition<never, never>[],
  options: Partial<TickflowOptions> = {},
): Promise<{ tickflow: Tickflow; file: string; cleanup(): Promise<void> }> {
  const harness = await createTestSqliteStore();
  const tickflow = new Tickflow(harness.store, { pollIntervalMs: 50, jobs, ...options }, false);
  await tickflow.start();
  return {
    tickflow,
    file: harness.file,
    async cleanup() {
      await tickflow.stop(0);
      await harness.cleanup();
    },
  };
}

export const asJobs = (...defs: unknown[]) => defs as JobDefinition<never, never>[];
