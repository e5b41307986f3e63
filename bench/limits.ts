// npm run bench:limits [-- --jobs 10000] [--runs 3] [--concurrency 10] [--stores sqlite,postgres]
// What cluster-wide limits cost the worker loop (docs/limits.md): processed no-op jobs/s with no
// limits, with a global limit on the queue (set high enough never to bind: the bookkeeping is what
// is measured), and with 1 000 partition keys under `perKey: 1` (jobs spread round-robin over the
// keys, so with `concurrency` slots a key rarely binds). Both stores: SQLite on a temp file,
// PostgreSQL (TICKFLOW_BENCH_PG_URL, else TICKFLOW_TEST_PG_URL, else a local server) in throwaway
// schemas. Target (issue 25): each limit costs at most 15 %.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import type { LimitOptions } from "../src/core/limit-options.ts";
import { defineJob } from "../src/runtime/registry.ts";
import { openStore } from "../src/store/open-store.ts";
import type { Store } from "../src/store/store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "10" },
    stores: { type: "string", default: "sqlite,postgres" },
  },
});
const JOBS = Number(values.jobs);
const RUNS = Math.max(1, Number(values.runs));
const CONCURRENCY = Number(values.concurrency);
const KEYS = 1_000;
const PG_URL =
  process.env.TICKFLOW_BENCH_PG_URL ??
  process.env.TICKFLOW_TEST_PG_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

const MODES: { name: string; limits: LimitOptions[]; keyed: boolean }[] = [
  { name: "no limits", limits: [], keyed: false },
  {
    name: "global limit (queue, not binding)",
    limits: [{ queue: "default", concurrency: 10_000 }],
    keyed: false,
  },
  { name: `${KEYS} partition keys (perKey 1)`, limits: [{ queue: "default", perKey: 1 }], keyed: true },
];

const report = (name: string, value: string) => console.log(`${name.padEnd(48)} ${value}`);
const noop = defineJob("bench.noop", async () => undefined);

/** Processed jobs/s: JOBS pre-enqueued, then the pool drains them. */
async function processed(store: Store, limits: LimitOptions[], keyed: boolean): Promise<number> {
  const tf = new Tickflow(store, { jobs: [noop as never], limits, concurrency: CONCURRENCY }, false);
  try {
    for (let i = 0; i < JOBS; i += 1_000) {
      await tf.enqueueMany(
        Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => ({
          type: noop,
          payload: null,
          options: keyed ? { concurrencyKey: `k${(i + j) % KEYS}` } : {},
        })),
      );
    }
    let done = 0;
    const allDone = new Promise<void>((resolve) =>
      tf.on("job:succeed", () => {
        if (++done === JOBS) resolve();
      }),
    );
    const started = performance.now();
    await tf.start({ scheduler: false });
    await allDone;
    return JOBS / ((performance.now() - started) / 1_000);
  } finally {
    await tf.stop(0);
  }
}

async function section(label: string, fresh: () => Promise<{ store: Store; drop(): Promise<void> }>) {
  console.log(`\n${label}: ${JOBS} no-op jobs, concurrency ${CONCURRENCY}, ${RUNS} runs (median [min–max])`);
  const medians = new Map<string, number>();
  for (const mode of MODES) {
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { store, drop } = await fresh();
      try {
        rates.push(await processed(store, mode.limits, mode.keyed));
      } finally {
        await drop();
      }
    }
    const median = percentile(rates, 50);
    medians.set(mode.name, median);
    const base = medians.get("no limits") ?? median;
    const cost = mode.name === "no limits" ? "" : `  cost ${fmt((1 - median / base) * 100, 1)} %`;
    report(
      `  ${mode.name}`,
      `${fmt(median, 0)} jobs/s [${fmt(Math.min(...rates), 0)}–${fmt(Math.max(...rates), 0)}]${cost}`,
    );
  }
}

const stores = values.stores.split(",");
if (stores.includes("sqlite")) {
  await section("SQLite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-limits-"));
    const store = await openStore(`sqlite:${join(dir, "bench.db")}`);
    await store.migrate();
    return {
      store,
      drop: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
if (stores.includes("postgres")) {
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`\nPostgreSQL section skipped: nothing answered at ${PG_URL} (${(error as Error).message})`);
  }
  let n = 0;
  await section("PostgreSQL", async () => {
    const schema = `tickflow_bench_limits_${process.pid}_${n++}`;
    const store = await openStore(PG_URL, { schema, concurrency: CONCURRENCY });
    await store.migrate();
    return {
      store,
      drop: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      },
    };
  }).finally(() => admin.end());
}
