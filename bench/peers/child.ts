// One scenario of one library in a fresh process: prepare an empty store, measure, clean up,
// print one line "RESULT <json>". Spawned by main.ts; floors ("floor-sqlite", "floor-pg") run
// their bare-driver version of the scenario instead of an adapter.
import { rmSync } from "node:fs";
import { rawPickupLatencies } from "../pg-raw.ts";
import { percentile } from "../stats.ts";
import type { Config } from "./adapter.ts";
import { ADAPTERS } from "./adapters/index.ts";
import { dropSchema } from "./adapters/pg-schema.ts";
import { benchEnv, type EnvSpec } from "./env.ts";
import { pgFloorBulk, pgFloorProcessed, sqliteFloorBulk, sqliteFloorProcessed } from "./floors.ts";
import { type Metrics, type Params, SCENARIOS } from "./scenarios.ts";

export interface ChildSpec {
  scenario: string;
  lib: string;
  config: Config;
  params: Params;
  env: EnvSpec;
}

const spec = JSON.parse(process.argv[2]!) as ChildSpec;
const env = await benchEnv(spec.env);
let metrics: Metrics;
try {
  if (spec.lib === "bare") {
    // The same runner (node + tsx) with no library loaded: the idle RSS baseline.
    await new Promise((resolve) => setTimeout(resolve, spec.params.idleMs));
    (globalThis as { gc?: () => void }).gc?.();
    metrics = { rssMb: process.memoryUsage().rss / 2 ** 20 };
  } else if (spec.lib.startsWith("floor-")) {
    const floors = {
      "floor-sqlite": { processed: sqliteFloorProcessed, bulk: sqliteFloorBulk },
      "floor-pg": { processed: pgFloorProcessed, bulk: pgFloorBulk },
    }[spec.lib];
    if (spec.lib === "floor-pg" && spec.scenario === "pickup-cross") {
      // INSERT + NOTIFY on one connection, LISTEN and UPDATE … RETURNING on two others.
      const latencies = await rawPickupLatencies(env.pgUrl!, env.namespace, spec.params.samples);
      metrics = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
    } else {
      const run = floors?.[spec.scenario as "processed" | "bulk"];
      if (!run) throw new Error(`${spec.lib} has no ${spec.scenario} floor`);
      metrics = { jobsPerSec: await run(env, spec.params.jobs) };
    }
    if (spec.lib === "floor-pg") await dropSchema(env);
  } else {
    const adapter = await ADAPTERS[spec.lib]!();
    await adapter.prepare(env);
    const client = await adapter.open(env, spec.config);
    try {
      metrics = await SCENARIOS[spec.scenario]!(
        { adapter, lib: spec.lib, config: spec.config, env, params: spec.params },
        client,
      );
    } finally {
      await client.close().catch(() => {});
      await adapter.cleanup(env).catch(() => {});
    }
  }
} finally {
  rmSync(env.dir, { recursive: true, force: true });
}
process.stdout.write(`RESULT ${JSON.stringify(metrics)}\n`);
// Some libraries keep handles (pools, timers) past close(); the figure is out, so end here.
process.exit(0);
