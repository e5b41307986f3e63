import { type Adapter, type BenchEnv, type Client, CONCURRENCY, type Config } from "../adapter.ts";

/** The part of BullMQ's API the bench uses. */
interface Queue {
  add(name: string, data: unknown, opts?: Record<string, unknown>): Promise<unknown>;
  addBulk(jobs: { name: string; data: unknown; opts?: Record<string, unknown> }[]): Promise<unknown>;
  obliterate(opts: { force: boolean }): Promise<void>;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
interface Worker {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
  on(event: "error", handler: (error: Error) => void): unknown;
}
interface BullModule {
  Queue: new (name: string, opts: Record<string, unknown>) => Queue;
  Worker: new (
    name: string,
    processor: (job: { data: { n: number } }) => Promise<void>,
    opts: Record<string, unknown>,
  ) => Worker;
}

const QUEUE = "bench";
/**
 * "Tuned" per BullMQ's "Going to production" guide: finished jobs removed (removeOnComplete /
 * removeOnFail job options) so Redis does not grow with every job. BullMQ does not poll (workers
 * block on Redis), so there is no poll setting to tune.
 */
const TUNED_JOB_OPTS = { removeOnComplete: true, removeOnFail: 1_000 };

function connection(env: BenchEnv) {
  const url = new URL(env.redisUrl!);
  return { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
}

async function openQueue(env: BenchEnv) {
  const bull = (await env.loadPeer("bullmq")) as BullModule;
  const queue = new bull.Queue(QUEUE, { connection: connection(env), prefix: env.namespace });
  await queue.waitUntilReady();
  return { bull, queue };
}

export const bullmq: Adapter = {
  name: "BullMQ",
  backend: "redis",
  configs: {
    default:
      "new Worker(…, { concurrency: 10 }), Queue.add/addBulk with default job options (finished jobs kept)",
    tuned: "as default with job options removeOnComplete: true, removeOnFail: 1000",
  },
  version: (env) => env.peerVersion("bullmq"),
  async prepare(env) {
    const { queue } = await openQueue(env);
    await queue.obliterate({ force: true });
    await queue.close();
  },
  async open(env, config: Config): Promise<Client> {
    const { bull, queue } = await openQueue(env);
    const base = config === "tuned" ? TUNED_JOB_OPTS : {};
    const opts = (runAt: number | undefined) =>
      runAt === undefined ? base : { ...base, delay: Math.max(0, runAt - Date.now()) };
    let worker: Worker | undefined;
    return {
      async enqueueBulk(ns, runAt) {
        const o = opts(runAt);
        for (let i = 0; i < ns.length; i += 1_000) {
          await queue.addBulk(ns.slice(i, i + 1_000).map((n) => ({ name: QUEUE, data: { n }, opts: o })));
        }
      },
      async enqueue(n, runAt) {
        await queue.add(QUEUE, { n }, opts(runAt));
      },
      async work(onJob) {
        worker = new bull.Worker(QUEUE, async (job) => onJob(job.data.n), {
          connection: connection(env),
          prefix: env.namespace,
          concurrency: CONCURRENCY,
        });
        worker.on("error", () => {});
        await worker.waitUntilReady();
      },
      async close() {
        await worker?.close();
        await queue.close();
      },
    };
  },
  async cleanup(env) {
    const { queue } = await openQueue(env);
    await queue.obliterate({ force: true });
    await queue.close();
  },
};
