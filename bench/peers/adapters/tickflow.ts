import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTickflow, defineJob, silentLogger, type Tickflow } from "../../../src/index.ts";
import { type Adapter, type BenchEnv, type Client, CONCURRENCY, type Config, inChunks } from "../adapter.ts";
import { dropSchema } from "./pg-schema.ts";

/** The handler of the current process's workers (one job type, defined once per process). */
let onJob: (n: number) => void = () => {};
const noop = defineJob<{ n: number }>("bench.noop", async (payload) => onJob(payload.n));

const CONFIGS: Record<Config, string> = {
  default:
    "createTickflow defaults: concurrency 10, pollIntervalMs 1000, leaseMs 30 s, prefetch 10 (= concurrency)",
  tuned: "prefetch: 90 (100 jobs held, as graphile-worker's local queue of 100); finishes are always batched",
};

/** What "tuned" sets (docs/benchmarks.md, "What default and tuned mean"). */
const TUNED_PREFETCH = 90;

function open(url: string, schema: string | undefined, config: Config = "default"): Promise<Tickflow> {
  if (schema) process.env.TICKFLOW_PG_SCHEMA = schema;
  return createTickflow({
    databaseUrl: url,
    jobs: [noop],
    concurrency: CONCURRENCY,
    logger: silentLogger,
    ...(config === "tuned" ? { prefetch: TUNED_PREFETCH } : {}),
  });
}

function client(tickflow: Tickflow): Client {
  return {
    async enqueueBulk(ns, runAt) {
      const options = runAt === undefined ? {} : { runAt };
      await inChunks(ns, async (chunk) => {
        await tickflow.enqueueMany(chunk.map((n) => ({ type: noop, payload: { n }, options })));
      });
    },
    async enqueue(n, runAt) {
      await tickflow.enqueue(noop, { n }, runAt === undefined ? {} : { runAt });
    },
    async work(handler) {
      onJob = handler;
      await tickflow.start({ scheduler: false });
    },
    close: () => tickflow.stop(),
  };
}

const version = async () =>
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version as string;

export const tickflowSqlite: Adapter = {
  name: "tickflow (SQLite)",
  backend: "sqlite",
  configs: CONFIGS,
  version,
  async prepare(env) {
    const tickflow = await open(sqliteUrl(env), undefined);
    await tickflow.start({ worker: false, scheduler: false });
    await tickflow.stop();
  },
  open: async (env, config) => client(await open(sqliteUrl(env), undefined, config)),
  async cleanup() {},
};

export const tickflowPostgres: Adapter = {
  name: "tickflow (PostgreSQL)",
  backend: "postgres",
  configs: CONFIGS,
  version,
  async prepare(env) {
    const tickflow = await open(env.pgUrl!, env.namespace);
    await tickflow.start({ worker: false, scheduler: false });
    await tickflow.stop();
  },
  open: async (env, config) => client(await open(env.pgUrl!, env.namespace, config)),
  cleanup: dropSchema,
};

const sqliteUrl = (env: BenchEnv) => `sqlite:${join(env.dir, "tickflow.db")}`;
