import { join } from "node:path";
import { type Adapter, type BenchEnv, type Client, CONCURRENCY, type Config, inChunks } from "../adapter.ts";

/** The part of plainjob's API the bench uses (plainjob.d.ts, 0.0.14). */
interface PlainjobQueue {
  add(type: string, data: unknown, options?: { delay?: number }): { id: number };
  addMany(type: string, data: unknown[], options?: { delay?: number }): { ids: number[] };
  close(): void;
}
interface PlainjobModule {
  better(db: unknown): unknown;
  defineQueue(options: { connection: unknown; logger?: unknown }): PlainjobQueue;
  defineWorker(
    type: string,
    processor: (job: { data: string }) => Promise<void> | void,
    options: { queue: PlainjobQueue; pollIntervall?: number; logger?: unknown },
  ): { start(): Promise<void>; stop(): Promise<void> };
}
type DatabaseCtor = new (file: string) => unknown;

const silent = { error() {}, warn() {}, info() {}, debug() {} };
/** plainjob's documented poll option (WorkerOptions.pollIntervall, default 1000 ms). */
const TUNED_POLL_MS = 10;

const file = (env: BenchEnv) => join(env.dir, "plainjob.db");

async function openQueue(env: BenchEnv) {
  const plainjob = (await env.loadPeer("plainjob")) as PlainjobModule;
  const Database = ((await env.loadPeer("better-sqlite3")) as { default: DatabaseCtor }).default;
  const queue = plainjob.defineQueue({
    connection: plainjob.better(new Database(file(env))),
    logger: silent,
  });
  return { plainjob, queue };
}

const delayOf = (runAt: number | undefined) =>
  runAt === undefined ? undefined : { delay: Math.max(0, runAt - Date.now()) };

export const plainjob: Adapter = {
  name: "plainjob",
  backend: "sqlite",
  configs: {
    default:
      "10 workers (defineWorker ×10: a plainjob worker runs one job at a time) on one queue, pollIntervall 1000 ms",
    tuned: `as default with pollIntervall ${TUNED_POLL_MS} ms (plainjob has no batch setting)`,
  },
  version: (env) => env.peerVersion("plainjob"),
  async prepare(env) {
    const { queue } = await openQueue(env);
    queue.close();
  },
  async open(env, config: Config): Promise<Client> {
    const { plainjob: lib, queue } = await openQueue(env);
    const workers: { start(): Promise<void>; stop(): Promise<void> }[] = [];
    return {
      async enqueueBulk(ns, runAt) {
        await inChunks(ns, async (chunk) => {
          queue.addMany(
            "bench",
            chunk.map((n) => ({ n })),
            delayOf(runAt),
          );
        });
      },
      async enqueue(n, runAt) {
        queue.add("bench", { n }, delayOf(runAt));
      },
      async work(onJob) {
        for (let i = 0; i < CONCURRENCY; i++) {
          const worker = lib.defineWorker(
            "bench",
            (job) => onJob((JSON.parse(job.data) as { n: number }).n),
            {
              queue,
              logger: silent,
              ...(config === "tuned" ? { pollIntervall: TUNED_POLL_MS } : {}),
            },
          );
          workers.push(worker);
          void worker.start();
        }
      },
      async close() {
        await Promise.all(workers.map((w) => w.stop()));
        queue.close();
      },
    };
  },
  async cleanup() {},
};
