import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const handlers = new URL("../fixtures/threads/handlers.mjs", import.meta.url);
const counter = defineJob("thread-counter", handlers);
const spin = defineJob(
  "thread-spin",
  { module: handlers, export: "spin" },
  { timeout: "1s", maxAttempts: 1 },
);
const crash = defineJob("thread-crash", { module: handlers, export: "crash" }, { maxAttempts: 1 });
const fails = defineJob("thread-fails", { module: handlers, export: "fails" }, { maxAttempts: 1 });
const cooperative = defineJob(
  "thread-cooperative",
  { module: handlers, export: "waitsForAbort" },
  { timeout: "300ms", maxAttempts: 1 },
);
const missing = defineJob("thread-missing", { module: handlers, export: "nope" }, { maxAttempts: 1 });
const inProcess = defineJob("in-process", async () => undefined);

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A Logger that keeps what it is given, with its bindings merged in, as pino would print it. */
function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}) {
  const log =
    (level: string) =>
    (first: object | string, message?: string): void => {
      if (typeof first === "string") lines.push({ level, fields: { ...bindings }, message: first });
      else lines.push({ level, fields: { ...bindings, ...first }, message });
    };
  const logger = {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (more: Record<string, unknown>) => recordingLogger(lines, { ...bindings, ...more }),
  };
  return logger;
}

describe("handlers in worker threads", () => {
  let h: Awaited<ReturnType<typeof createTestSqliteStore>>;
  let tickflow: Tickflow;
  const lines: Line[] = [];

  before(async () => {
    h = await createTestSqliteStore();
    tickflow = new Tickflow(
      h.store,
      {
        pollIntervalMs: 50,
        concurrency: 4,
        logger: recordingLogger(lines),
        jobs: [counter, spin, crash, fails, cooperative, missing, inProcess] as never[],
      },
      false,
    );
    await tickflow.start({ scheduler: false });
  });
  after(async () => {
    await tickflow.stop(0);
    await h.cleanup();
  });

  const settled = (id: string) =>
    waitFor(async () => {
      const job = await tickflow.getJob(id);
      return job && ["succeeded", "discarded", "cancelled"].includes(job.state) ? job : undefined;
    }, `job ${id} to settle`);

  it("carries the payload, ctx fields, durable state and log lines across the boundary", async () => {
    const first = await tickflow.enqueue(counter, { n: 1 }, { stateKey: "tenant-1" });
    assert.equal((await settled(first)).state, "succeeded");
    const second = await tickflow.enqueue(counter, { n: 2 }, { stateKey: "tenant-1" });
    assert.equal((await settled(second)).state, "succeeded");
    const state = (await h.store.queries.loadJobState("tenant-1")) as Record<string, unknown>;
    assert.equal(state.count, 2, "the second attempt saw the first one's saved state");
    assert.deepEqual(state.last, { n: 2 });
    assert.equal(state.jobId, second);
    assert.equal(state.attempt, 1);
    assert.ok(Number(state.threadId) > 0, "it ran off the main thread");
    const line = lines.find((l) => l.message === "counted in a thread" && l.fields.jobId === second);
    assert.ok(line, "the thread's log line reached the attempt's logger");
    assert.equal(line.level, "info");
    assert.equal(line.fields.job, "thread-counter", "with the attempt's bindings");
    assert.equal(line.fields.count, 2);
    assert.equal((line.fields.error as { message: string }).message, "carried", "an Error field survives");
  });

  it("terminates a CPU-bound handler at its timeout while the main event loop keeps time", async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    const id = await tickflow.enqueue(spin, { ms: 10_000 });
    // In-process jobs keep running meanwhile: the spinning thread holds only its own slot.
    const others = await Promise.all(Array.from({ length: 20 }, () => tickflow.enqueue(inProcess)));
    const job = await settled(id);
    const elapsed = Date.now() - started;
    delay.disable();
    assert.equal(job.state, "discarded");
    const [run] = await tickflow.listJobRuns(id);
    assert.equal(run?.outcome, "timed_out");
    assert.match(run?.errorMessage ?? "", /timed out/);
    assert.ok(elapsed < 5_000, `ended at its 1 s timeout, not after its 10 s spin (${elapsed} ms)`);
    for (const other of others) assert.equal((await settled(other)).state, "succeeded");
    // A blocked main loop would show the spin's full length here; a loaded 2-core VM shows tens of ms.
    const maxMs = delay.max / 1e6;
    assert.ok(
      maxMs < 500,
      `the main event loop was never blocked for long (max delay ${maxMs.toFixed(1)} ms)`,
    );
    await waitFor(async () => tickflow.getJob(id), "the thread's slot to be free");
  });

  it("fails the attempt, not the process, when the thread exits or throws", async () => {
    const crashed = await tickflow.enqueue(crash);
    assert.equal((await settled(crashed)).state, "discarded");
    const [crashRun] = await tickflow.listJobRuns(crashed);
    assert.equal(crashRun?.outcome, "discarded");
    assert.match(crashRun?.errorMessage ?? "", /exit/i);
    const thrown = await tickflow.enqueue(fails);
    await settled(thrown);
    const [thrownRun] = await tickflow.listJobRuns(thrown);
    assert.equal(thrownRun?.errorMessage, "thrown in a thread");
    assert.match(thrownRun?.errorStack ?? "", /handlers\.mjs/, "with the thread's stack");
    // The pool replaced the dead thread: the next thread job runs.
    const next = await tickflow.enqueue(counter, {}, { stateKey: "after-crash" });
    assert.equal((await settled(next)).state, "succeeded");
  });

  it("aborts ctx.signal in the thread before terminating it", async () => {
    const id = await tickflow.enqueue(cooperative);
    await settled(id);
    const [run] = await tickflow.listJobRuns(id);
    assert.equal(run?.outcome, "timed_out");
    const line = await waitFor(
      async () => lines.find((l) => l.message === "abort reached the thread" && l.fields.jobId === id),
      "the abort to reach the thread",
    );
    assert.equal(line.fields.reason, "timeout");
  });

  it("names the missing export when the module has no such handler", async () => {
    const id = await tickflow.enqueue(missing);
    await settled(id);
    const [run] = await tickflow.listJobRuns(id);
    assert.match(
      run?.errorMessage ?? "",
      /has no function export "nope" to run as the handler of thread-missing/,
    );
  });

  it("refuses a handler URL that is not a file: URL, in one line", () => {
    assert.throws(
      () => defineJob("remote", new URL("https://example.com/handler.js")),
      /job "remote": a thread handler must be a file: URL .* got https: URL/,
    );
  });
});
