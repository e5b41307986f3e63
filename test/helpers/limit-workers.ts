import { type ChildProcess, spawn } from "node:child_process";
import type { LimitOptions } from "../../src/core/limit-options.ts";
import { limitRuleOf } from "../../src/core/limit-options.ts";
import type { LimitUsageRow } from "../../src/store/ports/rows.ts";
import type { StoreQueries } from "../../src/store/ports/store-queries.ts";
import { waitFor } from "./wait-for.ts";

/** A `test/fixtures/limits-worker.ts` process. */
export interface LimitWorker {
  child: ChildProcess;
  output(): string;
}

/** Starts worker processes declaring `limits`; resolves once every one has started. */
export async function startLimitWorkers(
  count: number,
  limits: LimitOptions[],
  env: Record<string, string>,
): Promise<LimitWorker[]> {
  const workers = Array.from({ length: count }, () => startLimitWorker(limits, env));
  await waitFor(
    () => workers.every((w) => w.output().includes("limits worker started")),
    "the limit workers to start",
    30_000,
  );
  return workers;
}

export function startLimitWorker(limits: LimitOptions[], env: Record<string, string>): LimitWorker {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/limits-worker.ts"], {
    env: { ...process.env, TICKFLOW_TEST_LIMITS: JSON.stringify(limits), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

/**
 * Samples the limits' usage from the store (queries.limitUsage) every few ms until stopped: the
 * highest running count seen per rule and per key, and how many samples were taken.
 */
export function sampleLimits(queries: StoreQueries, limits: LimitOptions[]) {
  const rules = limits.map(limitRuleOf);
  const maxRunning = new Map<string, number>();
  const maxPerKey = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const record = (rows: LimitUsageRow[]) => {
    for (const row of rows) {
      maxRunning.set(row.name, Math.max(maxRunning.get(row.name) ?? 0, row.running));
      for (const k of row.keys) maxPerKey.set(row.name, Math.max(maxPerKey.get(row.name) ?? 0, k.running));
    }
    samples++;
  };
  const loop = (async () => {
    while (!stopped) {
      record(await queries.limitUsage(rules, Date.now()));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    maxRunning,
    maxPerKey,
    samples: () => samples,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
