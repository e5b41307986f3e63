// npm run bench [-- --only processed,enqueue,pickup,delayed,cron,raw] [--jobs 20000] [--cron-seconds 30]
// Prints tickflow's figures on SQLite (a temp file, WAL) next to the raw better-sqlite3 limit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defineJob } from "../src/runtime/registry.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { rawLifecycleJobsPerSecond } from "./sqlite-raw.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "50" },
    "cron-seconds": { type: "string", default: "30" },
    samples: { type: "string", default: "200" },
  },
});
const only = values.only?.split(",");
const want = (name: string) => !only || only.includes(name);
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-"));
let fileNo = 0;
const freshStore = async (): Promise<Store> => {
  const store = new SqliteStore(join(dir, `bench-${fileNo++}.db`));
  await store.migrate();
  return store;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const results: Record<string, string> = {};
const report = (name: string, value: string) => {
  results[name] = value;
  console.log(`${name.padEnd(38)} ${value}`);
};

async function benchEnqueue(): Promise<void> {
  const store = await freshStore();
  const noop = defineJob("noop", async () => {});
  const tf = new Tickflow(store, { jobs: [noop as never] }, true);
  const total = 100_000;
  const batch = 1_000;
  const items = Array.from({ length: batch }, (_, i) => ({ type: "noop", payload: { i } }));
  const started = performance.now();
  for (let i = 0; i < total / batch; i++) await tf.enqueueMany(items);
  const rate = total / ((performance.now() - started) / 1_000);
  report("bulk enqueue (enqueueMany ×1000)", `${fmt(rate, 0)} jobs/s`);
  await tf.stop();
}

async function benchProcessed(): Promise<number> {
  const store = await freshStore();
  let done = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => (finished = r));
  const noop = defineJob("noop", async () => {});
  const tf = new Tickflow(store, { jobs: [noop as never], concurrency: CONCURRENCY }, true);
  tf.on("job:succeed", () => {
    if (++done === JOBS) finished();
  });
  for (let i = 0; i < JOBS; i += 1_000) {
    await tf.enqueueMany(
      Array.from({ length: Math.min(1_000, JOBS - i) }, () => ({ type: "noop", payload: null })),
    );
  }
  const started = performance.now();
  await tf.start({ scheduler: false });
  await allDone;
  const rate = JOBS / ((performance.now() - started) / 1_000);
  report(`processed (${fmt(JOBS, 0)} no-op, concurrency ${CONCURRENCY})`, `${fmt(rate, 0)} jobs/s`);
  await tf.stop();
  return rate;
}

async function benchPickup(): Promise<void> {
  const store = await freshStore();
  const latencies: number[] = [];
  let enqueuedAt = 0;
  const ping = defineJob("ping", async () => {
    latencies.push(performance.now() - enqueuedAt);
  });
  const tf = new Tickflow(store, { jobs: [ping as never] }, true);
  await tf.start({ scheduler: false });
  await sleep(100);
  for (let i = 0; i < SAMPLES; i++) {
    enqueuedAt = performance.now();
    await tf.enqueue(ping);
    await sleep(20); // 50 jobs/s onto an idle worker
  }
  report(
    "pickup latency p50 / p99 (idle, 50/s)",
    `${fmt(percentile(latencies, 50), 2)} ms / ${fmt(percentile(latencies, 99), 2)} ms`,
  );
  await tf.stop();
}

async function benchDelayed(): Promise<void> {
  const store = await freshStore();
  const lateness: number[] = [];
  const due = defineJob<number>("due", async (runAt) => {
    lateness.push(Date.now() - runAt);
  });
  const tf = new Tickflow(store, { jobs: [due as never] }, true);
  await tf.start({ scheduler: false });
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const runAt = Date.now() + 100 + Math.floor(Math.random() * 900);
    pending.push(tf.enqueue(due, runAt, { runAt }));
    await sleep(5);
  }
  await Promise.all(pending);
  while (lateness.length < SAMPLES) await sleep(50);
  report(
    "delayed-job lateness p50 / p99",
    `${fmt(percentile(lateness, 50), 2)} ms / ${fmt(percentile(lateness, 99), 2)} ms`,
  );
  await tf.stop();
}

async function benchCron(seconds: number): Promise<void> {
  const store = await freshStore();
  const lateness: number[] = [];
  const beat = defineJob("beat", async (_p, ctx) => {
    lateness.push(Date.now() - (ctx.scheduledFor ?? 0));
  });
  const tf = new Tickflow(store, { jobs: [beat as never] }, true);
  tf.defineSchedule({ key: "every-second", job: "beat", cron: "* * * * * *" });
  await tf.start();
  await sleep(seconds * 1_000 + 500);
  await tf.stop();
  report(
    `cron lateness p50 / p95 / max (${lateness.length} ticks)`,
    `${fmt(percentile(lateness, 50), 2)} ms / ${fmt(percentile(lateness, 95), 2)} ms / ${fmt(Math.max(...lateness), 2)} ms`,
  );
}

console.log(`tickflow bench — SQLite (WAL, synchronous=NORMAL), node ${process.version}\n`);
try {
  if (want("enqueue")) await benchEnqueue();
  let processed: number | undefined;
  if (want("processed")) processed = await benchProcessed();
  if (want("raw")) {
    const raw = rawLifecycleJobsPerSecond(join(dir, "raw.db"), JOBS, CONCURRENCY);
    report("raw better-sqlite3 lifecycle limit", `${fmt(raw, 0)} jobs/s`);
    if (processed) report("tickflow / raw", `${fmt((processed / raw) * 100, 1)} %`);
  }
  if (want("pickup")) await benchPickup();
  if (want("delayed")) await benchDelayed();
  if (want("cron")) await benchCron(Number(values["cron-seconds"]));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
