// npm run bench:schedules [-- --counts 100,10000] [--passes 60] [--lateness 10000] [--minutes 2] [--pg-url postgres://…]
// Runtime schedules at scale (issue 24), on SQLite (temp file) and PostgreSQL (a throwaway schema;
// --pg-url, else TICKFLOW_BENCH_PG_URL, else TICKFLOW_TEST_PG_URL; skipped when nothing answers):
// 1. the time of one scheduler pass (fire what is due, find the next fire) with 100 and with 10 000
//    stored schedules, 10 of them due each pass: the due ones come from the next_fire_at index, so
//    the pass costs the same however many schedules are stored;
// 2. with 10 000 every-minute schedules and the real scheduler on the real clock: how late each
//    tick's job became claimable (its fire transaction's commit, or its nominal time when decided
//    ahead within the scheduler's lead) — p50 / p99 / max over every tick of the run.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { TickflowEvents } from "../src/events.ts";
import { silentLogger } from "../src/logger.ts";
import { defineJob } from "../src/runtime/registry.ts";
import { Scheduler } from "../src/runtime/scheduler.ts";
import { openStore } from "../src/store/open-store.ts";
import type { Store } from "../src/store/store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    counts: { type: "string", default: "100,10000" },
    passes: { type: "string", default: "60" },
    lateness: { type: "string", default: "10000" },
    minutes: { type: "string", default: "2" },
    "pg-url": { type: "string" },
    "skip-lateness": { type: "boolean", default: false },
  },
});
const COUNTS = values.counts.split(",").map(Number);
const PASSES = Number(values.passes);
const PG_URL =
  values["pg-url"] ?? process.env.TICKFLOW_BENCH_PG_URL ?? process.env.TICKFLOW_TEST_PG_URL ?? "";
const DUE_PER_PASS = 10;
const report = (name: string, value: string) => console.log(`${name.padEnd(58)} ${value}`);
const summary = (xs: number[], digits = 2) =>
  `median ${fmt(percentile(xs, 50), digits)} ms, p95 ${fmt(percentile(xs, 95), digits)} ms [${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}]`;
const noop = defineJob("bench.noop", async () => {});

type Open = () => Promise<{ store: Store; close(): Promise<void> }>;

/** `count` runtime schedules: all but DUE_PER_PASS fire once a year, those every second. */
async function seed(tf: Tickflow, count: number, spec: (i: number) => { cron?: string; every?: string }) {
  for (let i = 0; i < count; i++)
    await tf.schedules.upsert({ key: `s-${i}`, job: noop, ...spec(i), misfire: "skip", overlap: "allow" });
}

async function passCost(open: Open, count: number): Promise<number[]> {
  const { store, close } = await open();
  const T0 = Math.ceil(Date.now() / 1_000) * 1_000 + 10_000;
  let now = T0;
  const tf = new Tickflow(store, { jobs: [noop as never], clock: { now: () => now } }, false);
  try {
    await seed(tf, count, (i) => (i < DUE_PER_PASS ? { every: "1s" } : { cron: "0 0 1 1 *" }));
    const scheduler = new Scheduler({
      store,
      events: new TickflowEvents(),
      logger: silentLogger,
      now: () => now,
      maxSleepMs: 1_000,
    });
    const times: number[] = [];
    for (let pass = 0; pass < PASSES + 5; pass++) {
      now = T0 + (pass + 1) * 1_000;
      const started = performance.now();
      await scheduler.tick();
      if (pass >= 5) times.push(performance.now() - started); // the first passes warm statement caches
    }
    return times;
  } finally {
    await close();
  }
}

async function lateness(open: Open, count: number, minutes: number): Promise<number[]> {
  const { store, close } = await open();
  const tf = new Tickflow(store, { jobs: [noop as never] }, false);
  const late: number[] = [];
  try {
    await seed(tf, count, () => ({ every: "1m" }));
    tf.on("schedule:tick", (t) => {
      if (t.decision === "fired") late.push(Math.max(0, Date.now() - t.nominalAt));
    });
    await tf.start({ worker: false });
    // Whole minutes from the next boundary, then a moment for the last one to be decided.
    const first = Math.ceil(Date.now() / 60_000) * 60_000;
    await new Promise((r) => setTimeout(r, first + minutes * 60_000 - Date.now() + 5_000));
    return late;
  } finally {
    await tf.stop(0);
    await close();
  }
}

async function run(name: string, open: Open): Promise<void> {
  console.log(`\n${name}`);
  for (const count of COUNTS) {
    report(
      `scheduler pass, ${fmt(count, 0)} schedules (${DUE_PER_PASS} due)`,
      summary(await passCost(open, count)),
    );
  }
  if (values["skip-lateness"]) return;
  const count = Number(values.lateness);
  const late = await lateness(open, count, Number(values.minutes));
  report(
    `lateness, ${fmt(count, 0)} every-minute schedules (${fmt(late.length, 0)} ticks)`,
    `p50 ${fmt(percentile(late, 50), 1)} ms, p99 ${fmt(percentile(late, 99), 1)} ms, max ${fmt(Math.max(...late), 1)} ms`,
  );
}

async function main(): Promise<void> {
  console.log(`tickflow bench:schedules — node ${process.version}`);
  await run("SQLite (temp file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-schedules-"));
    const store = await openStore(`sqlite:${join(dir, "bench.db")}`, { concurrency: 1 });
    await store.migrate();
    return {
      store,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
  if (!PG_URL) return console.log("\nPostgreSQL skipped: give --pg-url or TICKFLOW_BENCH_PG_URL");
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  let n = 0;
  const run0 = randomBytes(4).toString("hex");
  try {
    await run("PostgreSQL (throwaway schema)", async () => {
      const schema = `tickflow_bench_sched_${run0}_${n++}`;
      const store = await openStore(PG_URL, { schema, concurrency: 1 });
      await store.migrate();
      return {
        store,
        close: async () => {
          await store.close();
          await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
        },
      };
    });
  } finally {
    await admin.end();
  }
}

await main();
