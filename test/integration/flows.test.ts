import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FlowDisabledError, UnknownFlowError } from "../../src/errors.ts";
import { defineFlow } from "../../src/flows/define-flow.ts";
import type { FlowRunRow } from "../../src/store/ports/rows.ts";
import { flowTestbed as makeTestbed, recordFlowDiagnostics, recordFlowEvents } from "../helpers/flows.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";
import { RecordingLogger } from "../unit/jobs/recording-logger.ts";

const fast = { type: "fixed" as const, delay: 10 };

describe("data flows: runs, failures, retries, queues", () => {
  it("a triggered run is recorded pending, in_progress before it executes, then success — with events on both channels", async () => {
    const bed = await makeTestbed();
    const diagnostics = recordFlowDiagnostics();
    try {
      let during: FlowRunRow | null = null;
      const flow = defineFlow({
        name: "ok",
        async run(ctx) {
          during = await bed.store.queries.getFlowRun(ctx.runId);
          await sleep(30);
        },
      });
      const producer = await bed.instance([flow]);
      await producer.start({ worker: false });
      const producerEvents = recordFlowEvents(producer);
      const before = Date.now();
      const answer = await producer.flows.trigger("ok");
      assert.equal(answer.status, "enqueued");
      assert.equal(answer.queue, "default", "the default queue");
      assert.equal(answer.source, "manual");

      const pending = await producer.flows.run(answer.runId);
      assert.equal(pending?.status, "pending");
      assert.equal(pending?.startedAt, null);
      assert.equal(pending?.jobId, answer.jobId);
      const flowRow = await producer.flows.get("ok");
      assert.equal(flowRow?.lastRunStatus, "in_progress", "set at trigger time");
      assert.ok(flowRow!.lastRunAt! >= before, "last_run_at set at trigger time");
      assert.equal(flowRow?.activeRun?.id, answer.runId);
      const job = await producer.getJob(answer.jobId);
      assert.equal(job?.type, "tickflow.flow-run");
      assert.equal(job?.queue, "default");
      assert.deepEqual(job?.payload, { flow: "ok", source: "manual" });

      const worker = await bed.instance([flow]);
      const workerEvents = recordFlowEvents(worker);
      await worker.start({ scheduler: false });
      await waitFor(() => workerEvents.some((e) => e.event === "flow:finish"), "the run to finish");

      assert.equal(during!.status, "in_progress", "in_progress while run(ctx) executes");
      assert.ok(during!.startedAt !== null);
      const done = (await worker.flows.run(answer.runId))!;
      assert.equal(done.status, "success");
      assert.ok(done.endedAt! >= done.startedAt!);
      assert.equal(done.durationMs, done.endedAt! - done.startedAt!);
      assert.ok(done.durationMs! >= 25, `duration ${done.durationMs}`);
      assert.equal(done.errorMessage, null);
      assert.equal((await worker.flows.get("ok"))?.lastRunStatus, "success");
      await waitFor(
        async () => (await worker.getJob(answer.jobId))?.state === "succeeded",
        "the job to succeed",
      );

      const enqueue = producerEvents.find((e) => e.event === "flow:enqueue");
      assert.deepEqual(enqueue?.payload, {
        flow: "ok",
        runId: answer.runId,
        jobId: answer.jobId,
        source: "manual",
        attempt: 1,
        status: "pending",
        queue: "default",
        durationMs: null,
      });
      assert.deepEqual(
        workerEvents.filter((e) => e.event !== "flow:sync").map((e) => [e.event, e.payload]),
        [
          [
            "flow:start",
            {
              flow: "ok",
              runId: answer.runId,
              jobId: answer.jobId,
              source: "manual",
              attempt: 1,
              status: "in_progress",
              startedAt: done.startedAt,
              durationMs: null,
            },
          ],
          [
            "flow:finish",
            {
              flow: "ok",
              runId: answer.runId,
              jobId: answer.jobId,
              source: "manual",
              attempt: 1,
              status: "success",
              startedAt: done.startedAt,
              endedAt: done.endedAt,
              durationMs: done.durationMs,
              error: null,
              willRetry: false,
              abandoned: false,
            },
          ],
        ],
      );
      // node:diagnostics_channel saw the same three, in order, with the same payloads.
      assert.deepEqual(
        diagnostics.seen.filter((e) => (e.payload as { flow: string }).flow === "ok").map((e) => e.event),
        ["flow:enqueue", "flow:start", "flow:finish"],
      );
      assert.deepEqual(diagnostics.seen.at(-1)?.payload, workerEvents.at(-1)?.payload);
    } finally {
      diagnostics.stop();
      await bed.cleanup();
    }
  });

  it("a failing run records message and stack, sets last_run_status failed, re-throws, and each retry is a new run on the same job", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({
        name: "boom",
        retries: 2,
        backoff: fast,
        async run(ctx) {
          throw new Error(`boom on attempt ${ctx.attempt}`);
        },
      });
      const tf = await bed.instance([flow]);
      const events = recordFlowEvents(tf);
      const jobFailures: string[] = [];
      tf.on("job:fail", (e) => jobFailures.push(`${e.attempt}:${e.outcome}:${e.error.message}`));
      await tf.start();
      const { jobId } = await tf.flows.trigger("boom");
      await waitFor(
        async () => (await tf.getJob(jobId))?.state === "discarded",
        "the job's attempts to run out",
      );
      await waitFor(() => events.filter((e) => e.event === "flow:finish").length === 3, "three finishes");

      const runs = (await tf.flows.runs({ flow: "boom" })).reverse();
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.status, r.jobId, r.errorMessage]),
        [
          [1, "failed", jobId, "boom on attempt 1"],
          [2, "failed", jobId, "boom on attempt 2"],
          [3, "failed", jobId, "boom on attempt 3"],
        ],
      );
      for (const run of runs) {
        assert.match(run.errorStack ?? "", /Error: boom on attempt \d\n\s+at .*flows\.test\.ts/);
        assert.ok(run.startedAt !== null && run.endedAt !== null && run.durationMs !== null);
      }
      assert.equal((await tf.flows.get("boom"))?.lastRunStatus, "failed");
      // The error reached the job: its retry policy ran (retries: 2 → 3 attempts).
      assert.deepEqual(jobFailures, [
        "1:failed:boom on attempt 1",
        "2:failed:boom on attempt 2",
        "3:discarded:boom on attempt 3",
      ]);
      const finishes = events.flatMap((e) => (e.event === "flow:finish" ? [e.payload] : []));
      assert.deepEqual(
        finishes.map((f) => [f.attempt, f.status, f.willRetry, f.error?.message]),
        [
          [1, "failed", true, "boom on attempt 1"],
          [2, "failed", true, "boom on attempt 2"],
          [3, "failed", false, "boom on attempt 3"],
        ],
      );
      assert.deepEqual(
        events.flatMap((e) => (e.event === "flow:enqueue" ? [e.payload.attempt] : [])),
        [1, 2, 3],
        "every run, retries included, is enqueued pending first",
      );
    } finally {
      await bed.cleanup();
    }
  });

  it("a retry that succeeds ends the flow in success; retries: 0 means one attempt", async () => {
    const bed = await makeTestbed();
    try {
      const flaky = defineFlow({
        name: "flaky",
        retries: 1,
        backoff: fast,
        async run(ctx) {
          if (ctx.attempt === 1) throw new Error("transient");
        },
      });
      const once = defineFlow({
        name: "once",
        retries: 0,
        async run() {
          throw new Error("no second chance");
        },
      });
      const tf = await bed.instance([flaky, once]);
      await tf.start();
      const a = await tf.flows.trigger("flaky");
      const b = await tf.flows.trigger("once");
      await waitFor(async () => (await tf.getJob(a.jobId))?.state === "succeeded", "flaky to succeed");
      await waitFor(async () => (await tf.getJob(b.jobId))?.state === "discarded", "once to be discarded");
      assert.deepEqual(
        (await tf.flows.runs({ flow: "flaky" })).map((r) => [r.attempt, r.status]),
        [
          [2, "success"],
          [1, "failed"],
        ],
      );
      assert.equal((await tf.flows.get("flaky"))?.lastRunStatus, "success");
      assert.deepEqual(
        (await tf.flows.runs({ flow: "once" })).map((r) => [r.attempt, r.status]),
        [[1, "failed"]],
      );
      assert.equal((await tf.getJob(b.jobId))?.maxAttempts, 1);
      const stats = await tf.flows.stats("flaky");
      assert.equal(stats.runs, 2);
      assert.equal(stats.successRate, 0.5);
    } finally {
      await bed.cleanup();
    }
  });

  it("catches anything a flow throws — a non-Error, a synchronous throw — and records it", async () => {
    const bed = await makeTestbed();
    try {
      const strings = defineFlow({
        name: "strings",
        retries: 0,
        async run() {
          throw "plain string";
        },
      });
      const sync = defineFlow({
        name: "sync",
        retries: 0,
        run() {
          throw new TypeError("not async at all");
        },
      });
      const tf = await bed.instance([strings, sync]);
      await tf.start();
      const a = await tf.flows.trigger("strings");
      const b = await tf.flows.trigger("sync");
      await waitFor(async () => (await tf.flows.run(a.runId))?.status === "failed", "strings");
      await waitFor(async () => (await tf.flows.run(b.runId))?.status === "failed", "sync");
      assert.equal((await tf.flows.run(a.runId))?.errorMessage, "plain string");
      assert.equal((await tf.flows.run(b.runId))?.errorMessage, "not async at all");
      assert.match((await tf.flows.run(b.runId))?.errorStack ?? "", /^TypeError: not async at all/);
    } finally {
      await bed.cleanup();
    }
  });

  it("finds the flow record and resolves its definition by name: a worker without the flow's code records why it failed", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({ name: "elsewhere", retries: 0, async run() {} });
      const producer = await bed.instance([flow]);
      await producer.start({ worker: false });
      const { runId } = await producer.flows.trigger("elsewhere");
      const worker = await bed.instance([]);
      await worker.start({ scheduler: false });
      await waitFor(async () => (await producer.flows.run(runId))?.status === "failed", "the run to fail");
      assert.match(
        (await producer.flows.run(runId))?.errorMessage ?? "",
        /^flow "elsewhere" is not defined in this process: load its file in every worker/,
      );
    } finally {
      await bed.cleanup();
    }
  });

  it("a flow's custom queue is used: only workers of that queue run it", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({ name: "etl", queue: "etl.high", async run() {} });
      const other = await bed.instance([flow], { queues: ["default"] });
      await other.start();
      const answer = await other.flows.trigger("etl");
      assert.equal(answer.queue, "etl.high");
      assert.equal((await other.getJob(answer.jobId))?.queue, "etl.high");
      await sleep(200);
      assert.equal((await other.flows.run(answer.runId))?.status, "pending", "not run from another queue");
      const etlWorker = await bed.instance([flow], { queues: ["etl.high"] });
      await etlWorker.start({ scheduler: false });
      await waitFor(
        async () => (await other.flows.run(answer.runId))?.status === "success",
        "the etl worker",
      );
    } finally {
      await bed.cleanup();
    }
  });

  it("a run past its timeout fails (ctx.signal aborts) and frees the flow", async () => {
    const bed = await makeTestbed();
    try {
      let aborted = false;
      const flow = defineFlow({
        name: "slow",
        timeout: "100ms",
        retries: 0,
        run: (ctx) =>
          new Promise((_, reject) => {
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              reject(ctx.signal.reason);
            });
          }),
      });
      const tf = await bed.instance([flow]);
      await tf.start();
      const { runId } = await tf.flows.trigger("slow");
      await waitFor(async () => (await tf.flows.run(runId))?.status === "failed", "the timeout");
      const run = (await tf.flows.run(runId))!;
      assert.match(run.errorMessage ?? "", /timed out/);
      assert.ok(run.durationMs! >= 90, `duration ${run.durationMs}`);
      assert.equal(aborted, true);
      assert.equal((await tf.flows.tryTrigger("slow")).status, "enqueued");
    } finally {
      await bed.cleanup();
    }
  });

  it("custom callbacks are called; a throwing or rejecting callback is logged and never fails the run", async () => {
    const bed = await makeTestbed();
    try {
      const logger = new RecordingLogger();
      const flow = defineFlow({ name: "watched", async run() {} });
      const tf = await bed.instance([flow], { logger });
      const calls: string[] = [];
      tf.on("flow:start", (e) => calls.push(`start ${e.flow}`));
      tf.on("flow:start", () => {
        throw new Error("callback bug");
      });
      tf.on("flow:finish", async (e) => {
        calls.push(`finish ${e.flow} ${e.status} ${typeof e.durationMs}`);
        throw new Error("async callback bug");
      });
      await tf.start();
      const { runId } = await tf.flows.trigger("watched");
      await waitFor(async () => (await tf.flows.run(runId))?.status === "success", "the run");
      await waitFor(() => calls.length === 2, "both callbacks");
      assert.deepEqual(calls, ["start watched", "finish watched success number"]);
      await waitFor(
        () => logger.find("error", /listener of flow:finish threw/).length === 1,
        "the logged rejection",
      );
      assert.equal(
        logger.find("error", /a listener of flow:start threw \(ignored\): Error: callback bug/).length,
        1,
      );
      assert.equal(
        logger.find("info", /^flow watched run #\d+ succeeded/).length,
        1,
        "the log subscriber's line",
      );
    } finally {
      await bed.cleanup();
    }
  });

  it("logs a failed run at error level with flow, run and attempt", async () => {
    const bed = await makeTestbed();
    try {
      const logger = new RecordingLogger();
      const flow = defineFlow({
        name: "loud",
        retries: 0,
        async run() {
          throw new Error("disk full");
        },
      });
      const tf = await bed.instance([flow], { logger });
      await tf.start();
      const { runId } = await tf.flows.trigger("loud");
      await waitFor(() => logger.find("error", /^flow loud run/).length > 0, "the error line");
      const [line] = logger.find("error", /^flow loud run/);
      assert.equal(
        line!.msg,
        `flow loud run #${runId} failed after ${line!.fields.durationMs}ms (attempt 1): disk full`,
      );
      assert.equal(line!.fields.flow, "loud");
      assert.equal(line!.fields.flowRunId, runId);
    } finally {
      await bed.cleanup();
    }
  });
});

describe("data flows: admin", () => {
  it("disable refuses triggers and pauses the schedule; enable undoes both; a restart keeps the flag", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({ name: "nightly", schedule: "0 3 * * *", async run() {} });
      const tf = await bed.instance([flow]);
      await tf.start();
      assert.ok((await tf.flows.get("nightly"))!.nextRunAt! > Date.now());
      const disabled = await tf.flows.disable("nightly");
      assert.equal(disabled.enabled, false);
      assert.equal(disabled.nextRunAt, null);
      assert.equal((await bed.store.queries.getSchedule("nightly"))?.paused, true);
      await assert.rejects(tf.flows.trigger("nightly"), (error: unknown) => {
        assert.ok(error instanceof FlowDisabledError);
        assert.equal(error.code, "FLOW_DISABLED");
        return true;
      });
      assert.deepEqual(await tf.flows.tryTrigger("nightly"), { status: "disabled", flow: "nightly" });
      assert.deepEqual(await tf.flows.runs(), []);

      const restarted = await bed.instance([flow]);
      await restarted.start();
      assert.equal((await restarted.flows.get("nightly"))?.enabled, false, "kept across syncs");
      assert.equal((await bed.store.queries.getSchedule("nightly"))?.paused, true);

      const enabled = await restarted.flows.enable("nightly");
      assert.equal(enabled.enabled, true);
      assert.ok(enabled.nextRunAt! > Date.now());
      assert.equal((await bed.store.queries.getSchedule("nightly"))?.paused, false);
      assert.equal((await restarted.flows.tryTrigger("nightly")).status, "enqueued");
    } finally {
      await bed.cleanup();
    }
  });

  it("flows removed from the code are marked and logged; they cannot be triggered; unknown flows name the known ones", async () => {
    const bed = await makeTestbed();
    try {
      const a = defineFlow({ name: "a", async run() {} });
      const b = defineFlow({ name: "b", schedule: "1h", async run() {} });
      const first = await bed.instance([a, b]);
      await first.start({ worker: false });
      await first.stop();
      const logger = new RecordingLogger();
      const second = await bed.instance([a], { logger });
      await second.start({ worker: false });
      assert.equal(
        logger.find("warn", /flows no longer defined in the code, marked removed .*: b$/).length,
        1,
      );
      const listed = await second.flows.list();
      assert.deepEqual(
        listed.map((f) => [f.name, f.removedAt !== null, f.defined]),
        [
          ["a", false, true],
          ["b", true, false],
        ],
      );
      assert.equal(await bed.store.queries.getSchedule("b"), null, "its schedule is gone");
      await assert.rejects(second.flows.trigger("b"), UnknownFlowError);
      await assert.rejects(second.flows.trigger("zzz"), /unknown flow "zzz".*\(known: a\)/);
      assert.equal((await bed.store.queries.listJobs({ limit: 10 })).length, 0, "nothing enqueued");
    } finally {
      await bed.cleanup();
    }
  });

  it("a run whose job was cancelled is closed as abandoned and never blocks the flow", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({ name: "stuck", async run() {} });
      const tf = await bed.instance([flow]);
      await tf.start({ worker: false });
      const events = recordFlowEvents(tf);
      const first = await tf.flows.trigger("stuck");
      await tf.cancelJob(first.jobId);
      const second = await tf.flows.trigger("stuck");
      const closed = (await tf.flows.run(first.runId))!;
      assert.equal(closed.status, "failed");
      assert.match(closed.errorMessage ?? "", /^abandoned: /);
      const abandoned = events.flatMap((e) =>
        e.event === "flow:finish" && e.payload.abandoned ? [e.payload] : [],
      );
      assert.deepEqual(
        abandoned.map((p) => p.runId),
        [first.runId],
      );
      // And the periodic sweep closes one without waiting for a trigger.
      await tf.cancelJob(second.jobId);
      const sweeper = await bed.instance([flow]);
      await sweeper.start({ worker: false });
      await waitFor(async () => (await tf.flows.run(second.runId))?.status === "failed", "the sweep");
      assert.equal((await tf.flows.get("stuck"))?.lastRunStatus, "failed");
    } finally {
      await bed.cleanup();
    }
  });

  it("keeps at most flowRunsKept finished runs per flow (and none older than flowRunRetentionMs)", async () => {
    const bed = await makeTestbed();
    try {
      const flow = defineFlow({ name: "kept", async run() {} });
      const tf = await bed.instance([flow], { flowRunsKept: 2, flowRunRetentionMs: null });
      await tf.start();
      for (let i = 0; i < 3; i++) {
        const { runId } = await tf.flows.trigger("kept");
        await waitFor(async () => (await tf.flows.run(runId))?.status === "success", "a run");
        await waitFor(async () => (await tf.flows.get("kept"))?.activeRun === null, "the flow to be free");
      }
      assert.equal(await tf.flows.pruneRuns(), 1);
      assert.equal((await tf.flows.runs({ flow: "kept" })).length, 2);
      const short = await bed.instance([flow], { flowRunRetentionMs: 0 });
      assert.equal(await short.flows.pruneRuns(), 2, "everything finished is older than 0 ms");
    } finally {
      await bed.cleanup();
    }
  });

  it("lists flows with last status, next run, active run and stats; filters runs", async () => {
    const bed = await makeTestbed();
    try {
      const good = defineFlow({ name: "good", async run() {} });
      const bad = defineFlow({
        name: "bad",
        retries: 0,
        async run() {
          throw new Error("x");
        },
      });
      const tf = await bed.instance([good, bad]);
      await tf.start();
      for (let i = 0; i < 3; i++) {
        const { runId } = await tf.flows.trigger("good", { source: i === 0 ? "api" : "manual" });
        await waitFor(async () => (await tf.flows.run(runId))?.endedAt !== null, "a good run");
      }
      const { runId } = await tf.flows.trigger("bad", { source: "heartbeat" });
      await waitFor(async () => (await tf.flows.run(runId))?.status === "failed", "the bad run");
      const [badStatus, goodStatus] = await tf.flows.list();
      assert.equal(badStatus?.name, "bad");
      assert.equal(badStatus?.lastRunStatus, "failed");
      assert.equal(badStatus?.stats.successRate, 0);
      assert.equal(goodStatus?.lastRunStatus, "success");
      assert.equal(goodStatus?.stats.runs, 3);
      assert.equal(goodStatus?.stats.successRate, 1);
      assert.ok(goodStatus!.stats.p95DurationMs! >= goodStatus!.stats.p50DurationMs!);
      assert.equal(goodStatus?.activeRun, null);
      assert.equal(goodStatus?.nextRunAt, null, "unscheduled");
      assert.equal((await tf.flows.runs({ source: "heartbeat" }))[0]?.id, runId);
      assert.equal((await tf.flows.runs({ flow: "good", limit: 2 })).length, 2);
      assert.equal((await tf.flows.runs({ status: "failed" })).length, 1);
      await assert.rejects(tf.flows.trigger("good", { source: "cron" as never }), /source must be/);
      assert.throws(() => tf.flows.runs({ limit: 0 }), /limit must be a positive integer/);
    } finally {
      await bed.cleanup();
    }
  });
});
