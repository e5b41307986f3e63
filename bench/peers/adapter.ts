/**
 * The one small interface every library in the peer benchmark is driven through. Payloads are
 * `{ n }`: a job number, an enqueue timestamp or a due time, whatever the scenario needs.
 */
export type Config = "default" | "tuned";
export type Backend = "sqlite" | "postgres" | "redis";

/** Where a scenario's data lives: its own SQLite file, PostgreSQL schema or Redis prefix. */
export interface BenchEnv {
  /** A fresh temp directory of this scenario run (SQLite files go here). */
  dir: string;
  pgUrl: string | undefined;
  redisUrl: string | undefined;
  /** A name of this run's own (schema or key prefix), dropped by cleanup(). */
  namespace: string;
  /** Imports a peer from the selected peer set (bench/peers or bench/peers/node24). */
  loadPeer: (name: string) => Promise<unknown>;
  /** A peer's version in the selected peer set. */
  peerVersion: (name: string) => Promise<string>;
}

export interface Adapter {
  /** Shown in tables, e.g. "tickflow (SQLite)". */
  readonly name: string;
  readonly backend: Backend;
  /** What each config sets, naming the library's options. */
  readonly configs: Record<Config, string>;
  /** The library's version (its package.json). */
  version(env: BenchEnv): Promise<string>;
  /** Creates the empty store (migrations, queue) a scenario starts from. */
  prepare(env: BenchEnv): Promise<void>;
  open(env: BenchEnv, config: Config): Promise<Client>;
  /** Drops what prepare() and the run created. */
  cleanup(env: BenchEnv): Promise<void>;
}

export interface Client {
  /** Enqueues one job per payload in the library's bulk call (chunks of BULK_CHUNK). */
  enqueueBulk(ns: readonly number[], runAt?: number): Promise<void>;
  enqueue(n: number, runAt?: number): Promise<void>;
  /** Starts concurrency-10 workers; each job calls onJob(n) and does nothing else. */
  work(onJob: (n: number) => void): Promise<void>;
  close(): Promise<void>;
}

export const CONCURRENCY = 10;
/** Jobs per bulk call: the size every library's docs show, and far below any parameter limit. */
export const BULK_CHUNK = 1_000;

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on the host. */
export const epochNow = () => performance.timeOrigin + performance.now();

export async function inChunks(ns: readonly number[], fn: (chunk: readonly number[]) => Promise<void>) {
  for (let i = 0; i < ns.length; i += BULK_CHUNK) await fn(ns.slice(i, i + BULK_CHUNK));
}
