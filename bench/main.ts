// npm run bench [-- --store sqlite|postgres|both] [--only processed,enqueue,pickup,delayed,cron,raw]
//   [--jobs 20000] [--concurrency 50] [--runs 3] [--cron-seconds 30] [--samples 500] [--pg-url postgres://…]
// Throughput figures are the median of --runs runs (range in brackets), each on a fresh store,
// after one discarded warm-up run: on a shared 2-core VM one run varies by ±20 %.
// Prints tickflow's figures on SQLite (a temp file, WAL) next to the raw better-sqlite3 limit, then
// on PostgreSQL (TICKFLOW_BENCH_PG_URL, else TICKFLOW_TEST_PG_URL, else a local server) in throwaway
// schemas dropped at the end.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { defineJob } from "../src/runtime/registry.ts";
import { openStore } from "../src/store/open-store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { createTickflow, type Tickflow, type TickflowOptions } from "../src/tickflow.ts";
import { rawPickupLatencies } from "./pg-raw.ts";
import { rawLifecycleJobsPerSecond } from "./sqlite-raw.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    store: { type: "string", default: "both" },
    only: { type: "string" },
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "50" },
    "cron-seconds": { type: "string", default: "30" },
    samples: { type: "string", default: "500" },
    runs: { type: "string", default: "3" },
    "pg-url": { type: "string" },
  },
});
const only = values.only?.split(",");
const want = (name: string) => !only || only.includes(name);
const stores = values.store === "both" ? ["sqlite", "postgres"] : [values.store];
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const RUNS = Math.max(1, Number(values.runs));
/** The discarded warm-up run before the measured processed runs. */
const WARMUP_JOBS = 2_000;
const PG_URL =
  values["pg-url"] ??
  process.env.TICKFLOW_BENCH_PG_URL ??
  process.env.TICKFLOW_TEST_PG_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const report = (name: string, value: string) => console.log(`${name.padEnd(40)} ${value}`);

/** Where one section of the bench runs: a fresh, migrated store per measurement. */
interface Target {
  freshStore(concurrency?: number): Promise<Store>;
  /** A second store on the same database and schema as `store` (as another process would open). */
  another?(store: Store): Promise<Store>;
}

/** A Tickflow on `store` through the composition root (database clock on PostgreSQL). */
async function tickflowOn(store: Store, options: Omit<TickflowOptions, "store"> = {}): Promise<Tickflow> {
  return createTickflow({ ...options, store });
}

async function stopAll(tf: Tickflow, store: Store): Promise<void> {
  await tf.stop();
  await store.close();
}

async function benchEnqueue(target: Target): Promise<void> {
  const total = 100_000;
  const batch = 1_000;
  const items = Array.from({ length: batch }, (_, i) => ({ type: "noop", payload: { i } }));
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const store = await target.freshStore();
    const noop = defineJob("noop", async () => {});
    const tf = await tickflowOn(store, { jobs: [noop as never] });
    await tf.enqueueMany(items); // warm-up: prepared statement, JIT
    const started = performance.now();
    for (let i = 0; i < total / batch; i++) await tf.enqueueMany(items);
    rates.push(total / ((performance.now() - started) / 1_000));
    await stopAll(tf, store);
  }
  reportRates("bulk enqueue (enqueueMany ×1000)", rates);
}

/** A fresh store with `jobs` no-op jobs enqueued, then processed; returns jobs/s from start to the last success. */
async function processOnce(target: Target, jobs: number, concurrency: number): Promise<number> {
  const store = await target.freshStore(concurrency);
  let done = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => (finished = r));
  const noop = defineJob("noop", async () => {});
  const tf = await tickflowOn(store, { jobs: [noop as never], concurrency });
  tf.on("job:succeed", () => {
    if (++done === jobs) finished();
  });
  for (let i = 0; i < jobs; i += 1_000) {
    await tf.enqueueMany(
      Array.from({ length: Math.min(1_000, jobs - i) }, () => ({ type: "noop", payload: null })),
    );
  }
  const started = performance.now();
  await tf.start({ scheduler: false });
  await allDone;
  const rate = jobs / ((performance.now() - started) / 1_000);
  await stopAll(tf, store);
  return rate;
}

async function benchProcessed(target: Target, concurrency = CONCURRENCY): Promise<number> {
  await processOnce(target, WARMUP_JOBS, concurrency); // discarded: warms the JIT and the server
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) rates.push(await processOnce(target, JOBS, concurrency));
  return reportRates(`processed (${fmt(JOBS, 0)} no-op, concurrency ${concurrency})`, rates);
}

/** Prints the median of `rates` with their range; returns the median. */
function reportRates(label: string, rates: number[]): number {
  const median = percentile(rates, 50);
  const range = rates.length > 1 ? ` [${fmt(Math.min(...rates), 0)}–${fmt(Math.max(...rates), 0)}]` : "";
  report(label, `${fmt(median, 0)} jobs/s${range}`);
  return median;
}

/**
 * Single jobs at 50/s onto an idle worker. `via`: the enqueuing Tickflow is the worker's own
 * (in-process hint), or another store on the same database (the hint travels as a NOTIFY).
 */
async function benchPickup(target: Target, via: "same" | "other"): Promise<void> {
  const store = await target.freshStore();
  const latencies: number[] = [];
  let enqueuedAt = 0;
  const ping = defineJob("ping", async () => {
    latencies.push(performance.now() - enqueuedAt);
  });
  const tf = await tickflowOn(store, { jobs: [ping as never] });
  await tf.start({ scheduler: false });
  const otherStore = via === "other" ? await target.another?.(store) : undefined;
  const client = otherStore ? await tickflowOn(otherStore, { jobs: [ping as never] }) : tf;
  await sleep(300); // LISTEN connected, first statements prepared
  for (let i = 0; i < SAMPLES; i++) {
    enqueuedAt = performance.now();
    await client.enqueue(ping);
    await sleep(20); // 50 jobs/s onto an idle worker
  }
  await sleep(100);
  const label =
    via === "same" ? "pickup latency p50 / p99 (idle, 50/s)" : "  …enqueued by another process (NOTIFY)";
  report(label, `${fmt(percentile(latencies, 50), 2)} ms / ${fmt(percentile(latencies, 99), 2)} ms`);
  if (otherStore) await stopAll(client, otherStore);
  await stopAll(tf, store);
}

async function benchDelayed(target: Target): Promise<void> {
  const store = await target.freshStore();
  const lateness: number[] = [];
  const due = defineJob<number>("due", async (runAt) => {
    lateness.push(Date.now() - runAt);
  });
  const tf = await tickflowOn(store, { jobs: [due as never] });
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
  await stopAll(tf, store);
}

async function benchCron(target: Target, seconds: number): Promise<void> {
  const store = await target.freshStore();
  const lateness: number[] = [];
  const beat = defineJob("beat", async (_p, ctx) => {
    lateness.push(Date.now() - (ctx.scheduledFor ?? 0));
  });
  const tf = await tickflowOn(store, { jobs: [beat as never] });
  tf.defineSchedule({ key: "every-second", job: "beat", cron: "* * * * * *" });
  await tf.start();
  await sleep(seconds * 1_000 + 500);
  await stopAll(tf, store);
  report(
    `cron lateness p50 / p95 / max (${lateness.length} ticks)`,
    `${fmt(percentile(lateness, 50), 2)} ms / ${fmt(percentile(lateness, 95), 2)} ms / ${fmt(Math.max(...lateness), 2)} ms`,
  );
}

async function benchSqlite(): Promise<void> {
  console.log(`tickflow bench — SQLite (WAL, synchronous=NORMAL), node ${process.version}\n`);
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-"));
  let fileNo = 0;
  const target: Target = {
    async freshStore() {
      const store = new SqliteStore(join(dir, `bench-${fileNo++}.db`));
      await store.migrate();
      return store;
    },
  };
  try {
    // The raw limit first, in a fresh process state: measured after tickflow's runs it came out
    // 20-40 % lower (their garbage still being collected), which would flatter our ratio.
    let raw: number | undefined;
    if (want("raw")) {
      rawLifecycleJobsPerSecond(join(dir, "raw-warmup.db"), WARMUP_JOBS, CONCURRENCY);
      const rates = Array.from({ length: RUNS }, (_, run) =>
        rawLifecycleJobsPerSecond(join(dir, `raw-${run}.db`), JOBS, CONCURRENCY),
      );
      raw = reportRates("raw better-sqlite3 lifecycle limit", rates);
    }
    if (want("enqueue")) await benchEnqueue(target);
    let processed: number | undefined;
    if (want("processed")) processed = await benchProcessed(target);
    if (raw !== undefined && processed !== undefined) {
      report("tickflow / raw (medians)", `${fmt((processed / raw) * 100, 1)} %`);
    }
    if (want("pickup")) await benchPickup(target, "same");
    if (want("delayed")) await benchDelayed(target);
    if (want("cron")) await benchCron(target, Number(values["cron-seconds"]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`\nPostgreSQL section skipped: nothing answered at ${PG_URL} (${(error as Error).message})`);
    return;
  }
  const { rows } = await admin.query("SELECT current_setting('server_version') AS v");
  console.log(`\ntickflow bench — PostgreSQL ${rows[0]?.v}, node ${process.version}\n`);
  // The floor under every latency below: pickup is two round trips (insert, claim) and two commits.
  const trips: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await admin.query({ name: "bench_rtt", text: "SELECT 1" });
    trips.push(performance.now() - t);
  }
  report(
    "round trip (SELECT 1) p50 / p99",
    `${fmt(percentile(trips, 50), 3)} ms / ${fmt(percentile(trips, 99), 3)} ms`,
  );
  const run = randomBytes(4).toString("hex");
  const schemas: string[] = [];
  const schemaOf = new WeakMap<Store, string>();
  const target: Target = {
    async freshStore(concurrency = 10) {
      const schema = `tickflow_bench_${run}_${schemas.length}`;
      schemas.push(schema);
      const store = await openStore(PG_URL, { schema, concurrency });
      schemaOf.set(store, schema);
      await store.migrate();
      return store;
    },
    async another(store) {
      return openStore(PG_URL, { schema: schemaOf.get(store) });
    },
  };
  try {
    if (want("enqueue")) await benchEnqueue(target);
    if (want("processed")) {
      await benchProcessed(target);
      // Larger claim and finish batches share each statement's fixed cost among more jobs.
      if (CONCURRENCY < 200) await benchProcessed(target, 200);
    }
    if (want("pickup")) {
      await benchPickup(target, "same");
      await benchPickup(target, "other");
      // The same two durable commits and a NOTIFY with bare pg clients: the floor under the line above.
      const schema = `tickflow_bench_${run}_raw`;
      schemas.push(schema);
      const raw = await rawPickupLatencies(PG_URL, schema, SAMPLES);
      report(
        "  …raw pg floor (insert+NOTIFY, UPDATE)",
        `${fmt(percentile(raw, 50), 2)} ms / ${fmt(percentile(raw, 99), 2)} ms`,
      );
    }
    if (want("delayed")) await benchDelayed(target);
    if (want("cron")) await benchCron(target, Number(values["cron-seconds"]));
  } finally {
    for (const schema of schemas)
      await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await admin.end();
  }
}

if (stores.includes("sqlite")) await benchSqlite();
if (stores.includes("postgres")) await benchPostgres();
