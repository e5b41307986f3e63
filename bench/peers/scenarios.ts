import { type ChildProcess, fork } from "node:child_process";
import { percentile } from "../stats.ts";
import type { Adapter, BenchEnv, Client, Config } from "./adapter.ts";
import { epochNow } from "./adapter.ts";
import type { EnvSpec } from "./env.ts";

/** What a scenario is asked to do; the orchestrator sets these from --quick and the flags. */
export interface Params {
  jobs: number;
  samples: number;
  /** Longest a latency scenario samples for (a 2 s poller would take minutes for 200 samples). */
  budgetMs: number;
  /** Future rows for claim-cost. */
  future: number;
  /** Worker processes for scaling. */
  processes: number;
  idleMs: number;
  delayed: number;
}

export type Metrics = Record<string, number>;

export interface Run {
  adapter: Adapter;
  lib: string;
  config: Config;
  env: BenchEnv & { spec: EnvSpec };
  params: Params;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/**
 * Counts jobs as they run; `rate()` is jobs/s between the first and the last seen, over at most
 * `budgetMs` — a library that polls every 2 s for one job at a time would take an hour over
 * 20 000 jobs, so it is measured on what it ran in the budget (and says so: capped = 1).
 */
function counter(count: number, budgetMs: number) {
  let seen = 0;
  let first = 0;
  let last = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const onJob = () => {
    seen++;
    last = performance.now();
    if (seen === 1) first = last;
    if (seen === count) done();
  };
  const rate = async (): Promise<Metrics> => {
    let timer: NodeJS.Timeout | undefined;
    const capped = await Promise.race([
      finished.then(() => 0),
      new Promise<number>((resolve) => (timer = setTimeout(() => resolve(1), budgetMs))),
    ]);
    clearTimeout(timer);
    // Capped: over the whole time since the first job, not the last burst (a batch poller runs
    // ten jobs in a millisecond, then waits).
    const end = capped ? performance.now() : last;
    const jobsPerSec = seen > 1 ? ((seen - 1) * 1_000) / (end - first) : Number.NaN;
    return { jobsPerSec, capped, ran: seen };
  };
  return { onJob, rate };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Jobs/s with `jobs` due jobs enqueued before the workers start; steady state (first → last job). */
async function processed(run: Run, client: Client): Promise<Metrics> {
  await client.enqueueBulk(range(0, run.params.jobs));
  const { onJob, rate } = counter(run.params.jobs, run.params.budgetMs * 2);
  await client.work(onJob);
  return rate();
}

async function bulk(run: Run, client: Client): Promise<Metrics> {
  const started = performance.now();
  await client.enqueueBulk(range(0, run.params.jobs));
  return { jobsPerSec: (run.params.jobs * 1_000) / (performance.now() - started) };
}

/**
 * Enqueue → handler latency, one job at a time, 20 ms apart (50 jobs/s), from idle workers that
 * `startWorkers` started. `waitFor` resolves with the latency of the job just enqueued.
 */
async function sampleLatencies(
  run: Run,
  client: Client,
  next: () => Promise<number>,
  samples: number,
): Promise<Metrics> {
  const latencies: number[] = [];
  const deadline = Date.now() + run.params.budgetMs;
  await sleep(500); // past every library's first (empty) fetch: the workers are idle
  while (latencies.length < samples && Date.now() < deadline) {
    const took = next();
    await client.enqueue(epochNow());
    latencies.push(await withTimeout(took, 15_000, "a pickup"));
    await sleep(20);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
}

/** A handler that hands each job's latency to whoever waits for the next one. */
function latencyInbox() {
  let deliver: (ms: number) => void = () => {};
  return {
    next: () => new Promise<number>((resolve) => (deliver = resolve)),
    receive: (ms: number) => deliver(ms),
  };
}

async function pickupSame(run: Run, client: Client): Promise<Metrics> {
  const inbox = latencyInbox();
  await client.work((n) => inbox.receive(epochNow() - n));
  return sampleLatencies(run, client, inbox.next, run.params.samples);
}

/** A worker process (worker-process.ts) of the same library and config, on the same store. */
export function spawnWorker(run: Run, mode: "count" | "latency"): ChildProcess {
  const spec = { lib: run.lib, config: run.config, env: run.env.spec, mode };
  return fork(new URL("./worker-process.ts", import.meta.url), [JSON.stringify(spec)], {
    execArgv: process.execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

function nextMessage(child: ChildProcess, type: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(message as unknown as Record<string, number>);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`worker process exited (${code}) before "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

async function stopWorker(child: ChildProcess): Promise<Record<string, number>> {
  const last = nextMessage(child, "count");
  child.send({ type: "stop" });
  const counts = await withTimeout(last, 30_000, "a worker process to stop").catch(() => ({
    count: 0,
    sum: 0,
  }));
  await Promise.race([new Promise((resolve) => child.once("exit", resolve)), sleep(10_000)]);
  child.kill("SIGKILL");
  return counts;
}

async function pickupCross(run: Run, client: Client): Promise<Metrics> {
  const worker = spawnWorker(run, "latency");
  try {
    await withTimeout(nextMessage(worker, "ready"), 60_000, "the worker process to open");
    const working = nextMessage(worker, "working");
    worker.send({ type: "go" });
    await withTimeout(working, 60_000, "the worker process to start");
    const next = () => nextMessage(worker, "latency").then((m) => m.latency!);
    return await sampleLatencies(run, client, next, run.params.samples);
  } finally {
    await stopWorker(worker);
  }
}

/** Lateness of delayed jobs: due 300 ms to 2 s from now, spread evenly; handler time − due time. */
async function delayed(run: Run, client: Client): Promise<Metrics> {
  const lateness: number[] = [];
  const count = run.params.delayed;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => (done = resolve));
  await client.work((due) => {
    lateness.push(epochNow() - due);
    if (lateness.length === count) done();
  });
  await sleep(500);
  const base = epochNow() + 300;
  for (let i = 0; i < count; i++) {
    const due = base + Math.round((i * 1_700) / count);
    await client.enqueue(due, Math.ceil(due));
  }
  await withTimeout(all, 30_000, "the delayed jobs");
  return { p50: percentile(lateness, 50), p99: percentile(lateness, 99) };
}

async function idleRss(run: Run, client: Client): Promise<Metrics> {
  await client.work(() => {});
  await sleep(run.params.idleMs);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(100);
  return { rssMb: process.memoryUsage().rss / 2 ** 20 };
}

/**
 * The claim path's cost with `future` rows waiting far in the future: cross-process pickup, then
 * processed jobs/s of `jobs` due jobs, both with the future rows present.
 */
async function claimCost(run: Run, client: Client): Promise<Metrics> {
  const far = Date.now() + 86_400_000;
  for (let i = 0; i < run.params.future; i += 50_000) {
    await client.enqueueBulk(range(-1 - i, Math.min(50_000, run.params.future - i)), far);
  }
  const pickup = await pickupCross(run, client);
  const rate = await processed(run, client);
  return {
    jobsPerSec: rate.jobsPerSec!,
    capped: rate.capped!,
    pickupP50: pickup.p50!,
    pickupP99: pickup.p99!,
  };
}

/** Jobs/s over `processes` worker processes (10 each) draining `jobs` jobs; exactly-once checked. */
async function scaling(run: Run, client: Client): Promise<Metrics> {
  const { jobs, processes } = run.params;
  await client.enqueueBulk(range(0, jobs));
  const workers = Array.from({ length: processes }, () => spawnWorker(run, "count"));
  try {
    await withTimeout(Promise.all(workers.map((w) => nextMessage(w, "ready"))), 60_000, "worker processes");
    const counts = workers.map(() => ({ count: 0, sum: 0 }));
    for (const [i, w] of workers.entries()) {
      w.on("message", (m: { type: string; count: number; sum: number }) => {
        if (m.type === "count") counts[i] = m;
      });
    }
    const started = performance.now();
    for (const w of workers) w.send({ type: "go" });
    const total = () => counts.reduce((s, c) => s + c.count, 0);
    let capped = 0;
    while (total() < jobs && !capped) {
      if (performance.now() - started > run.params.budgetMs * 2) capped = 1;
      await sleep(5);
    }
    const seconds = (performance.now() - started) / 1_000;
    const ranInTime = total();
    await sleep(300); // a job run twice would show up now
    const final = await Promise.all(workers.map(stopWorker));
    const count = final.reduce((s, c) => s + (c.count ?? 0), 0);
    const sum = final.reduce((s, c) => s + (c.sum ?? 0), 0);
    // Checked on a drained backlog only: every job number seen once (count and sum both match).
    const exactlyOnce = capped ? Number.NaN : count === jobs && sum === (jobs * (jobs - 1)) / 2 ? 1 : 0;
    return { jobsPerSec: ranInTime / seconds, exactlyOnce, ran: count, capped };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
  }
}

export const SCENARIOS: Record<string, (run: Run, client: Client) => Promise<Metrics>> = {
  processed,
  bulk,
  "pickup-same": pickupSame,
  "pickup-cross": pickupCross,
  delayed,
  "idle-rss": idleRss,
  "claim-cost": claimCost,
  scaling,
};
