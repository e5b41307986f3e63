import { type Adapter, type BenchEnv, type Client, CONCURRENCY, type Config, inChunks } from "../adapter.ts";
import { dropSchema } from "./pg-schema.ts";

/** The part of graphile-worker's API the bench uses (0.17 and 0.18 alike). */
interface WorkerUtils {
  migrate(): Promise<void>;
  addJob(identifier: string, payload: unknown, spec?: { runAt?: Date }): Promise<unknown>;
  addJobs(specs: { identifier: string; payload: unknown; runAt?: Date }[]): Promise<unknown>;
  release(): Promise<void>;
}
interface Runner {
  stop(): Promise<void>;
}
interface GraphileModule {
  Logger: new (factory: () => () => void) => unknown;
  makeWorkerUtils(options: Record<string, unknown>): Promise<WorkerUtils>;
  run(options: Record<string, unknown>): Promise<Runner>;
}

/**
 * "Tuned" per graphile-worker's performance docs (worker.graphile.org/docs/performance):
 * a local queue of 100 jobs fetched per round trip (preset.worker.localQueue.size) and completions
 * and failures batched within the same tick (completeJobBatchDelay / failJobBatchDelay = 0).
 */
const TUNED_PRESET = {
  worker: { localQueue: { size: 100 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
};

async function shared(env: BenchEnv) {
  const lib = (await env.loadPeer("graphile-worker")) as GraphileModule;
  const logger = new lib.Logger(() => () => {});
  return { lib, options: { connectionString: env.pgUrl, schema: env.namespace, logger } };
}

export const graphileWorker: Adapter = {
  name: "graphile-worker",
  backend: "postgres",
  configs: {
    default:
      "run({ concurrency: 10 }), everything else default (pollInterval 2000 ms, LISTEN/NOTIFY, no local queue)",
    tuned: "as default plus preset.worker.localQueue.size 100, completeJobBatchDelay 0, failJobBatchDelay 0",
  },
  version: (env) => env.peerVersion("graphile-worker"),
  async prepare(env) {
    const { lib, options } = await shared(env);
    const utils = await lib.makeWorkerUtils(options);
    await utils.migrate();
    await utils.release();
  },
  async open(env, config: Config): Promise<Client> {
    const { lib, options } = await shared(env);
    const utils = await lib.makeWorkerUtils(options);
    let runner: Runner | undefined;
    const runAtOf = (runAt: number | undefined) => (runAt === undefined ? {} : { runAt: new Date(runAt) });
    return {
      async enqueueBulk(ns, runAt) {
        await inChunks(ns, async (chunk) => {
          await utils.addJobs(chunk.map((n) => ({ identifier: "bench", payload: { n }, ...runAtOf(runAt) })));
        });
      },
      async enqueue(n, runAt) {
        await utils.addJob("bench", { n }, runAtOf(runAt));
      },
      async work(onJob) {
        runner = await lib.run({
          ...options,
          concurrency: CONCURRENCY,
          noHandleSignals: true,
          taskList: { bench: async (payload: { n: number }) => onJob(payload.n) },
          ...(config === "tuned" ? { preset: TUNED_PRESET } : {}),
        });
      },
      async close() {
        await runner?.stop();
        await utils.release();
      },
    };
  },
  cleanup: dropSchema,
};
