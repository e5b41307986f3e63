// npm run bench:threads [-- --jobs 5000] [--runs 3] [--concurrency 10]
// What running a handler in a worker thread costs, and what it buys (SQLite, temp files):
// 1. processed no-op jobs/s in-process against the same jobs in threads, and the overhead per job;
// 2. an every-second schedule's lateness while CPU-bound jobs (10 s spins, 1 s timeout) run in
//    threads beside it — and, for contrast, what one in-process spin of 1 s does to the same loop.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { defineJob } from "../src/runtime/registry.ts";
import { defineSchedule } from "../src/runtime/schedules.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../src/tickflow.ts";
import { fmt, percentile } from "./stats.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "5000" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "10" },
    seconds: { type: "string", default: "12" },
  },
});
const JOBS = Number(values.jobs);
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const handlers = new URL("./fixtures/thread-handlers.mjs", import.meta.url);
const report = (name: string, value: string) => console.log(`${name.padEnd(52)} ${value}`);
const range = (xs: number[], digits = 0) =>
  `${fmt(percentile(xs, 50), digits)} [${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}]`;

async function withTickflow<T>(
  jobs: unknown[],
  extra: { schedules?: unknown[] },
  run: (tf: Tickflow) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-threads-"));
  const store = new SqliteStore(join(dir, "bench.db"));
  await store.migrate();
  const tf = new Tickflow(
    store,
    { jobs: jobs as never[], schedules: extra.schedules as never[], concurrency: CONCURRENCY },
    true,
  );
  try {
    return await run(tf);
  } finally {
    await tf.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function processed(threaded: boolean): Promise<number> {
  const job = threaded
    ? defineJob("noop", { module: handlers, export: "noop" })
    : defineJob("noop", async () => undefined);
  return withTickflow([job], {}, async (tf) => {
    let done = 0;
    let target = 0;
    let finished = () => {};
    tf.on("job:succeed", () => {
      if (++done === target) finished();
    });
    const batch = async (count: number) => {
      const allDone = new Promise<void>((resolve) => (finished = resolve));
      target = done + count;
      await tf.enqueueMany(Array.from({ length: count }, () => ({ type: "noop", payload: null })));
      await allDone;
    };
    await tf.start({ scheduler: false });
    // Warm: every thread started (a thread's start, ~50–300 ms here, is paid once per thread).
    await batch(CONCURRENCY * 20);
    const started = performance.now();
    await batch(JOBS);
    return JOBS / ((performance.now() - started) / 1_000);
  });
}

/** An every-second schedule's start lateness (ms) with `load` enqueued beside it. */
async function lateness(load: "threads" | "in-process"): Promise<{ late: number[]; loopMaxMs: number }> {
  const late: number[] = [];
  const tick = defineJob("tick", async (_payload, ctx) => {
    if (ctx.scheduledFor !== null) late.push(Date.now() - ctx.scheduledFor);
  });
  const spinThread = defineJob(
    "spin",
    { module: handlers, export: "spin" },
    { timeout: "1s", maxAttempts: 1 },
  );
  const spinHere = defineJob(
    "spin",
    (payload: { ms: number }) => {
      const until = Date.now() + payload.ms;
      while (Date.now() < until) {}
    },
    { maxAttempts: 1 },
  );
  const every = defineSchedule({ key: "every-second", job: "tick", every: "1s" });
  return withTickflow(
    [tick, load === "threads" ? spinThread : spinHere],
    { schedules: [every] },
    async (tf) => {
      await tf.start();
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const spins = load === "threads" ? 4 : 1;
      const ms = load === "threads" ? 10_000 : 1_000;
      for (let second = 0; second < SECONDS; second += 3) {
        await Promise.all(Array.from({ length: spins }, () => tf.enqueue("spin", { ms })));
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      delay.disable();
      return { late: late.slice(1), loopMaxMs: delay.max / 1e6 };
    },
  );
}

const inProcess: number[] = [];
const threaded: number[] = [];
await processed(false);
await processed(true); // warm-up: JIT, first threads
for (let run = 0; run < RUNS; run++) {
  inProcess.push(await processed(false));
  threaded.push(await processed(true));
}
report(`processed ${fmt(JOBS)} no-op, concurrency ${CONCURRENCY}, in-process`, `${range(inProcess)} jobs/s`);
report(`processed ${fmt(JOBS)} no-op, concurrency ${CONCURRENCY}, in threads`, `${range(threaded)} jobs/s`);
const overheadUs = inProcess.map((r, i) => (1 / threaded[i]! - 1 / r) * 1e6 * CONCURRENCY);
report("thread overhead per job (µs of a slot's time)", range(overheadUs));

for (const load of ["threads", "in-process"] as const) {
  const { late, loopMaxMs } = await lateness(load);
  const label = load === "threads" ? "4 × 10 s CPU spins in threads, 1 s timeout" : "1 s CPU spin in-process";
  report(
    `every-second lateness beside ${label}`,
    `p50 ${fmt(percentile(late, 50))} ms, p99 ${fmt(percentile(late, 99))} ms, max ${fmt(Math.max(...late))} ms; loop max delay ${fmt(loopMaxMs)} ms (${late.length} ticks)`,
  );
}
