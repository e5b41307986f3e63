import { type Adapter, type BenchEnv, type Client, CONCURRENCY, type Config, inChunks } from "../adapter.ts";
import { dropSchema } from "./pg-schema.ts";

/** The part of pg-boss's API the bench uses; `insert` changed shape in 11 (name first). */
interface Boss {
  start(): Promise<unknown>;
  stop(options?: Record<string, unknown>): Promise<void>;
  createQueue(name: string): Promise<void>;
  /** 12+: queue options such as `notify`. */
  updateQueue?(name: string, options: Record<string, unknown>): Promise<void>;
  send(name: string, data: object, options?: { startAfter?: Date }): Promise<string | null>;
  insert(...args: unknown[]): Promise<unknown>;
  work(
    name: string,
    options: Record<string, unknown>,
    handler: (jobs: { data: { n: number } }[]) => Promise<void>,
  ): Promise<string>;
  on(event: "error", handler: (error: Error) => void): unknown;
}
type BossCtor = new (options: Record<string, unknown>) => Boss;

const QUEUE = "bench";
/** pg-boss's documented poll floor is 0.5 s (WorkOptions.pollingIntervalSeconds). */
const TUNED = { batchSize: CONCURRENCY, pollingIntervalSeconds: 0.5 };

/** 12+ can wake workers by NOTIFY: `useListenNotify` on the instance, `notify` on the queue. */
const LISTEN_NOTIFY_FROM = 12;

async function openBoss(env: BenchEnv, config: Config = "default"): Promise<{ boss: Boss; major: number }> {
  const mod = (await env.loadPeer("pg-boss")) as { default?: BossCtor; PgBoss?: BossCtor };
  const PgBoss = (mod.PgBoss ?? mod.default) as BossCtor;
  const major = Number((await env.peerVersion("pg-boss")).split(".")[0]);
  const boss = new PgBoss({
    connectionString: env.pgUrl,
    schema: env.namespace,
    supervise: true,
    schedule: false,
    ...(config === "tuned" && major >= LISTEN_NOTIFY_FROM ? { useListenNotify: true } : {}),
  });
  boss.on("error", () => {}); // maintenance races at shutdown; the figures do not depend on them
  await boss.start();
  return { boss, major };
}

export const pgBoss: Adapter = {
  name: "pg-boss",
  backend: "postgres",
  configs: {
    default:
      "concurrency 10 as the version documents it (10 × work() on 10.x, work({ localConcurrency: 10 }) on 11+), batchSize 1, pollingIntervalSeconds 2",
    tuned:
      "one work() fetching batchSize 10 per poll, pollingIntervalSeconds 0.5 (its documented minimum); 12+: also useListenNotify, the queue's notify option and notifyPollingIntervalSeconds 0.5",
  },
  version: (env) => env.peerVersion("pg-boss"),
  async prepare(env) {
    const { boss } = await openBoss(env);
    await boss.createQueue(QUEUE);
    await boss.stop({ graceful: false, wait: true });
  },
  async open(env, config: Config): Promise<Client> {
    const { boss, major } = await openBoss(env, config);
    if (config === "tuned" && major >= LISTEN_NOTIFY_FROM) await boss.updateQueue?.(QUEUE, { notify: true });
    const startAfter = (runAt: number | undefined) =>
      runAt === undefined ? {} : { startAfter: new Date(runAt) };
    return {
      async enqueueBulk(ns, runAt) {
        await inChunks(ns, async (chunk) => {
          const jobs = chunk.map((n) => ({ data: { n }, ...startAfter(runAt) }));
          if (major >= 11) await boss.insert(QUEUE, jobs);
          else await boss.insert(jobs.map((job) => ({ name: QUEUE, ...job })));
        });
      },
      async enqueue(n, runAt) {
        await boss.send(QUEUE, { n }, startAfter(runAt));
      },
      async work(onJob) {
        const handler = async (jobs: { data: { n: number } }[]) => {
          for (const job of jobs) onJob(job.data.n);
        };
        // 12+ with NOTIFY on relaxes its poll to notifyPollingIntervalSeconds (30 s): keep it at 0.5 s.
        if (config === "tuned")
          await boss.work(
            QUEUE,
            major >= LISTEN_NOTIFY_FROM ? { ...TUNED, notifyPollingIntervalSeconds: 0.5 } : TUNED,
            handler,
          );
        else if (major >= 11) await boss.work(QUEUE, { localConcurrency: CONCURRENCY }, handler);
        else for (let i = 0; i < CONCURRENCY; i++) await boss.work(QUEUE, {}, handler);
      },
      close: () => boss.stop({ graceful: true, wait: true, timeout: 5_000 }),
    };
  },
  cleanup: dropSchema,
};
