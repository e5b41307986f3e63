import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import type { TriggerSource } from "../../src/core/flow-run-state.ts";
import {
  ABANDONED_RUN_MESSAGE,
  INTERRUPTED_RUN_MESSAGE,
  type TriggerRunResult,
} from "../../src/store/ports/flow-store.ts";
import type { JobInsert } from "../../src/store/ports/job-store.ts";
import type { FlowDefinitionRow } from "../../src/store/ports/rows.ts";
import type { Store } from "../../src/store/store.ts";
import { planFor } from "../helpers/plan.ts";
import { freshHarnessPerTest, job, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const RUN_JOB = "tickflow.flow-run";

function flowDef(overrides: Partial<FlowDefinitionRow> = {}): FlowDefinitionRow {
  return {
    name: "etl",
    schedule: null,
    scheduleId: null,
    queue: "default",
    retries: 2,
    timeoutMs: null,
    backoff: JSON.stringify({ type: "fixed", delayMs: 10 }),
    nextRunAt: null,
    ...overrides,
  };
}

function runJob(flow: string, overrides: Partial<JobInsert> = {}): JobInsert {
  return job({
    type: RUN_JOB,
    payload: JSON.stringify({ flow, source: "manual" }),
    maxAttempts: 3,
    ...overrides,
  });
}

/**
 * The FlowStore part of the store contract (data_flows, data_flow_runs): every adapter runs it.
 * The one cross-process guarantee — at most one pending/in_progress run per flow — is tested
 * with two stores (two "processes") on one database.
 */
export function runFlowStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`flow store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const trigger = (flow = "etl", now = T0, source: TriggerSource = "manual", s: Store = store) =>
      s.flows.triggerRun({ flow, source, job: runJob(flow, { runAt: now }), now });
    const enqueued = (result: TriggerRunResult) => {
      assert.equal(result.status, "enqueued", JSON.stringify(result));
      return result as Extract<TriggerRunResult, { status: "enqueued" }>;
    };
    /** Claims the flow-run job like a worker does: returns its lease. */
    const claimJob = async (now = T0) => {
      const [claimed] = await store.jobs.claimJobs({
        workerId: "w1",
        queues: undefined,
        limit: 1,
        leaseMs: 30_000,
        now,
      });
      assert.ok(claimed, "a flow-run job to claim");
      return claimed;
    };
    const countJobs = async () => (await store.queries.listJobs({ limit: 1_000 })).length;

    describe("sync", () => {
      it("inserts new flows, updates changed ones, marks removed ones and restores them, keeping enabled", async () => {
        let report = await store.flows.syncFlows([flowDef(), flowDef({ name: "other" })], T0);
        assert.deepEqual(report, { created: ["etl", "other"], updated: [], removed: [], restored: [] });
        const etl = await store.queries.getFlow("etl");
        assert.equal(etl?.enabled, true);
        assert.equal(etl?.queue, "default");
        assert.equal(etl?.retries, 2);
        assert.equal(etl?.removedAt, null);
        assert.equal(etl?.lastRunStatus, null);
        assert.equal(etl?.createdAt, T0);

        await store.flows.setFlowEnabled("etl", false, T0 + 1);
        report = await store.flows.syncFlows([flowDef(), flowDef({ name: "other" })], T0 + 2);
        assert.deepEqual(
          report,
          { created: [], updated: [], removed: [], restored: [] },
          "unchanged: a no-op",
        );

        report = await store.flows.syncFlows(
          [flowDef({ queue: "etl-queue", retries: 0, timeoutMs: 500 })],
          T0 + 3,
        );
        assert.deepEqual(report, { created: [], updated: ["etl"], removed: ["other"], restored: [] });
        const updated = await store.queries.getFlow("etl");
        assert.equal(updated?.queue, "etl-queue");
        assert.equal(updated?.retries, 0);
        assert.equal(updated?.timeoutMs, 500);
        assert.equal(updated?.enabled, false, "a sync never changes enabled");
        assert.equal((await store.queries.getFlow("other"))?.removedAt, T0 + 3);

        report = await store.flows.syncFlows(
          [flowDef({ queue: "etl-queue", retries: 0, timeoutMs: 500 })],
          T0 + 4,
        );
        assert.deepEqual(report.removed, [], "a removed flow is reported once");
        report = await store.flows.syncFlows(
          [flowDef({ queue: "etl-queue", retries: 0, timeoutMs: 500 }), flowDef({ name: "other" })],
          T0 + 5,
        );
        assert.deepEqual(report, { created: [], updated: [], removed: [], restored: ["other"] });
        assert.equal((await store.queries.getFlow("other"))?.removedAt, null);
        assert.deepEqual(
          (await store.queries.listFlows()).map((f) => f.name),
          ["etl", "other"],
        );
      });

      it("concurrent syncs from two stores create each flow once", async () => {
        const other = await h!.openAnother();
        const [a, b] = await Promise.all([
          store.flows.syncFlows([flowDef()], T0),
          other.flows.syncFlows([flowDef()], T0),
        ]);
        assert.deepEqual([...a.created, ...b.created], ["etl"]);
      });

      it("reads a scheduled flow's next run from its stored schedule; none while disabled or paused", async () => {
        const trigger = { kind: "every" as const, intervalMs: 60_000 };
        await store.flows.syncFlows(
          [flowDef({ schedule: trigger, scheduleId: "etl", nextRunAt: T0 + 60_000 })],
          T0,
        );
        assert.equal(
          (await store.queries.getFlow("etl"))?.nextRunAt,
          T0 + 60_000,
          "before the schedule is stored",
        );
        assert.deepEqual((await store.queries.getFlow("etl"))?.schedule, trigger);
        await store.schedules.syncSchedules(
          [
            {
              id: "etl",
              jobType: RUN_JOB,
              payload: JSON.stringify({ flow: "etl", source: "schedule" }),
              trigger,
              misfire: "latest",
              graceMs: 3_600_000,
              overlap: "skip",
              jobOptions: {
                stateful: false,
                queue: "default",
                priority: 0,
                maxAttempts: 3,
                timeoutMs: null,
                backoff: "{}",
              },
              initialNextFireAt: T0 + 120_000,
            },
          ],
          T0,
        );
        assert.equal(
          (await store.queries.getFlow("etl"))?.nextRunAt,
          T0 + 120_000,
          "the schedule's next fire",
        );
        await store.schedules.setSchedulePaused("etl", true, T0);
        assert.equal((await store.queries.getFlow("etl"))?.nextRunAt, null, "paused");
        await store.schedules.setSchedulePaused("etl", false, T0);
        await store.flows.setFlowEnabled("etl", false, T0);
        assert.equal((await store.queries.getFlow("etl"))?.nextRunAt, null, "disabled");
      });
    });

    describe("trigger", () => {
      beforeEach(async () => {
        await store.flows.syncFlows([flowDef(), flowDef({ name: "other" })], T0);
      });

      it("creates the run pending, enqueues its job and marks the flow in progress at once", async () => {
        const result = enqueued(await trigger("etl", T0, "api"));
        assert.equal(result.run.status, "pending");
        assert.equal(result.run.flow, "etl");
        assert.equal(result.run.attempt, 1);
        assert.equal(result.run.source, "api");
        assert.equal(result.run.jobId, result.jobId);
        assert.equal(result.run.createdAt, T0);
        assert.equal(result.run.startedAt, null);
        assert.deepEqual(result.abandoned, []);
        const jobRow = await store.queries.getJob(result.jobId);
        assert.equal(jobRow?.type, RUN_JOB);
        assert.equal(jobRow?.state, "available");
        assert.deepEqual(jobRow?.payload, { flow: "etl", source: "manual" });
        const flow = await store.queries.getFlow("etl");
        assert.equal(flow?.lastRunAt, T0);
        assert.equal(flow?.lastRunStatus, "in_progress");
        assert.deepEqual(await store.queries.getFlowRun(result.run.id), result.run);
      });

      it("refuses a trigger while a run is pending or in progress, writing nothing", async () => {
        const first = enqueued(await trigger());
        const second = await trigger("etl", T0 + 5);
        assert.equal(second.status, "already_running");
        assert.equal(second.status === "already_running" && second.run.id, first.run.id);
        assert.equal(await countJobs(), 1);
        assert.equal((await store.queries.getFlow("etl"))?.lastRunAt, T0, "last_run_at unchanged");
        await store.flows.claimRun({
          flow: "etl",
          jobId: first.jobId,
          attempt: 1,
          source: "manual",
          requireEnabled: false,
          now: T0,
        });
        const started = await store.flows.startRun(first.run.id, T0 + 10);
        const third = await trigger("etl", T0 + 20);
        assert.equal(third.status, "already_running");
        assert.equal(third.status === "already_running" && third.run.startedAt, started?.startedAt);
        enqueued(await trigger("other"));
      });

      it("refuses disabled, removed and unknown flows, writing nothing", async () => {
        await store.flows.setFlowEnabled("etl", false, T0);
        assert.deepEqual(await trigger("etl"), { status: "disabled" });
        assert.deepEqual(await trigger("nope"), { status: "not_found" });
        await store.flows.syncFlows([flowDef()], T0);
        assert.deepEqual(await trigger("other"), { status: "not_found" });
        assert.equal(await countJobs(), 0);
        assert.deepEqual(await store.queries.listFlowRuns(), []);
        await assert.rejects(store.flows.setFlowEnabled("nope", true, T0), /not found/);
      });

      it("lets exactly one of many concurrent triggers from two stores through", async () => {
        const other = await h!.openAnother();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => trigger("etl", T0, "manual", i % 2 === 0 ? store : other)),
        );
        const accepted = results.filter((r) => r.status === "enqueued");
        assert.equal(accepted.length, 1);
        const runId = (accepted[0] as Extract<TriggerRunResult, { status: "enqueued" }>).run.id;
        for (const r of results.filter((x) => x.status !== "enqueued")) {
          assert.equal(r.status, "already_running");
          assert.equal(r.status === "already_running" && r.run.id, runId);
        }
        assert.equal(await countJobs(), 1);
        assert.equal((await store.queries.listFlowRuns({ flow: "etl" })).length, 1);
      });
    });

    describe("a trigger for a schedule period (POST /heartbeat)", () => {
      const minute = { kind: "every", intervalMs: 60_000 } as const;
      beforeEach(async () => {
        await store.flows.syncFlows([flowDef({ schedule: minute, scheduleId: "etl" })], T0);
      });
      const periodTrigger = (nominalAt: number, now: number, s: Store = store) =>
        s.flows.triggerRun({
          flow: "etl",
          source: "heartbeat",
          job: runJob("etl", { runAt: now }),
          now,
          period: { scheduleId: "etl", nominalAt },
        });
      const scheduleRow = {
        id: "etl",
        jobType: RUN_JOB,
        payload: JSON.stringify({ flow: "etl", source: "schedule" }),
        trigger: minute,
        misfire: "latest" as const,
        graceMs: 3_600_000,
        overlap: "skip" as const,
        jobOptions: {
          stateful: false,
          queue: "default",
          priority: 0,
          maxAttempts: 3,
          timeoutMs: null,
          backoff: JSON.stringify({ type: "fixed", delayMs: 10 }),
        },
        initialNextFireAt: T0 + 60_000,
      };
      const fire = (now: number) => store.schedules.fireDueSchedules({ now, limit: 10, plan: planFor(now) });

      it("claims the tick the scheduler would: the scheduler then fires nothing for that period", async () => {
        await store.schedules.syncSchedules([scheduleRow], T0);
        enqueued(await periodTrigger(T0 + 60_000, T0 + 60_500));
        const ticks = await fire(T0 + 61_000);
        assert.deepEqual(
          ticks.filter((t) => t.decision === "fired"),
          [],
          "the period the heartbeat ran is not fired again",
        );
        assert.equal(await countJobs(), 1);
        const [tick] = await store.queries.listTicks("etl", { limit: 10 });
        assert.equal(tick?.nominalAt, T0 + 60_000);
        assert.equal(tick?.decision, "fired");
      });

      it("refuses a period the scheduler already fired, writing nothing", async () => {
        await store.schedules.syncSchedules([scheduleRow], T0);
        const fired = await fire(T0 + 60_010);
        assert.equal(fired.filter((t) => t.decision === "fired").length, 1);
        assert.deepEqual(await periodTrigger(T0 + 60_000, T0 + 60_500), { status: "period_taken" });
        assert.equal(await countJobs(), 1, "only the scheduler's job");
        assert.deepEqual(await store.queries.listFlowRuns({ flow: "etl" }), []);
        assert.equal(
          (await store.queries.getFlow("etl"))?.lastRunAt,
          null,
          "the flow is not marked triggered",
        );
      });

      it("runs a period once across two stores even after the first run finished; the next period runs", async () => {
        const other = await h!.openAnother();
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            periodTrigger(T0 + 60_000, T0 + 60_100 + i, i % 2 ? other : store),
          ),
        );
        assert.equal(results.filter((r) => r.status === "enqueued").length, 1);
        const { run } = enqueued(results.find((r) => r.status === "enqueued")!);
        // Finish it: the flow is free again, yet the period stays taken.
        const leased = await claimJob(T0 + 60_200);
        const claim = await store.flows.claimRun({
          flow: "etl",
          jobId: leased.id,
          attempt: 1,
          source: "heartbeat",
          requireEnabled: false,
          now: T0 + 60_200,
        });
        assert.equal(claim.status, "claimed");
        await store.flows.startRun(run.id, T0 + 60_210);
        await store.flows.finishRun({
          runId: run.id,
          status: "success",
          endedAt: T0 + 60_220,
          error: null,
          retry: null,
        });
        assert.deepEqual(await periodTrigger(T0 + 60_000, T0 + 61_000, other), { status: "period_taken" });
        enqueued(await periodTrigger(T0 + 120_000, T0 + 120_100, other));
      });

      it("a refused trigger (already running) does not take the period", async () => {
        enqueued(await trigger("etl", T0 + 60_050));
        const refused = await periodTrigger(T0 + 60_000, T0 + 60_100);
        assert.equal(refused.status, "already_running");
        assert.deepEqual(await store.queries.listTicks("etl", { limit: 10 }), []);
      });
    });

    describe("a run's life", () => {
      beforeEach(async () => {
        await store.flows.syncFlows([flowDef()], T0);
      });

      it("a flow's error with NUL bytes or lone surrogates is stored, bounded (issue 19), on every store", async () => {
        const { run, jobId } = enqueued(await trigger());
        await claimJob();
        await store.flows.claimRun({
          flow: "etl",
          jobId,
          attempt: 1,
          source: "manual",
          requireEnabled: false,
          now: T0 + 1,
        });
        await store.flows.startRun(run.id, T0 + 100);
        const finished = await store.flows.finishRun({
          runId: run.id,
          status: "failed",
          endedAt: T0 + 200,
          error: { message: "bad byte \u0000 at \udc00 12", stack: `Error\u0000\n${"x".repeat(100_000)}` },
          retry: null,
        });
        assert.equal(finished.run?.status, "failed");
        const stored = await store.queries.getFlowRun(run.id);
        assert.equal(stored?.errorMessage, "bad byte \ufffd at \ufffd 12");
        assert.ok(stored?.errorStack?.startsWith("Error\ufffd\n"));
        assert.ok((stored?.errorStack?.length ?? 0) < 70_000, "the stack is bounded");
      });

      it("pending → in_progress → success, with started_at, ended_at, duration and last_run_status", async () => {
        const { run, jobId } = enqueued(await trigger());
        const claimed = await claimJob();
        assert.equal(claimed.id, jobId);
        const claim = await store.flows.claimRun({
          flow: "etl",
          jobId,
          attempt: 1,
          source: "manual",
          requireEnabled: false,
          now: T0 + 1,
        });
        assert.equal(claim.status, "claimed");
        assert.equal(claim.status === "claimed" && claim.created, false, "the trigger's run");
        assert.equal(claim.status === "claimed" && claim.run.id, run.id);

        const started = await store.flows.startRun(run.id, T0 + 100);
        assert.equal(started?.status, "in_progress");
        assert.equal(started?.startedAt, T0 + 100);
        assert.equal(await store.flows.startRun(run.id, T0 + 101), null, "only a pending run starts");

        const finished = await store.flows.finishRun({
          runId: run.id,
          status: "success",
          endedAt: T0 + 350,
          error: null,
          retry: null,
        });
        assert.equal(finished.run?.status, "success");
        assert.equal(finished.run?.endedAt, T0 + 350);
        assert.equal(finished.run?.durationMs, 250);
        assert.equal(finished.next, null);
        const flow = await store.queries.getFlow("etl");
        assert.equal(flow?.lastRunStatus, "success");
        assert.equal(flow?.lastRunAt, T0);
        const again = await store.flows.finishRun({
          runId: run.id,
          status: "failed",
          endedAt: T0 + 400,
          error: null,
          retry: null,
        });
        assert.deepEqual(again, { run: null, next: null }, "a finished run is final");
        enqueued(await trigger("etl", T0 + 500));
      });

      it("a failure records message and stack; with a retry the next attempt's run is pending on the same job", async () => {
        const { run, jobId } = enqueued(await trigger());
        await store.flows.startRun(run.id, T0 + 10);
        const error = { message: "boom", stack: "Error: boom\n    at run (flow.ts:1:1)" };
        const finished = await store.flows.finishRun({
          runId: run.id,
          status: "failed",
          endedAt: T0 + 30,
          error,
          retry: { attempt: 2 },
        });
        assert.equal(finished.run?.status, "failed");
        assert.equal(finished.run?.errorMessage, "boom");
        assert.equal(finished.run?.errorStack, error.stack);
        assert.equal(finished.run?.durationMs, 20);
        assert.equal(finished.next?.status, "pending");
        assert.equal(finished.next?.attempt, 2);
        assert.equal(finished.next?.jobId, jobId);
        assert.equal(finished.next?.source, "manual");
        assert.equal((await store.queries.getFlow("etl"))?.lastRunStatus, "failed");
        const refused = await trigger("etl", T0 + 40);
        assert.equal(refused.status, "already_running", "the retry keeps the flow taken");

        const claim = await store.flows.claimRun({
          flow: "etl",
          jobId,
          attempt: 2,
          source: "manual",
          requireEnabled: true,
          now: T0 + 50,
        });
        assert.equal(claim.status === "claimed" && claim.run.id, finished.next?.id);
        const second = await store.flows.startRun(finished.next!.id, T0 + 60);
        assert.equal((await store.queries.getFlow("etl"))?.lastRunStatus, "in_progress");
        const last = await store.flows.finishRun({
          runId: second!.id,
          status: "failed",
          endedAt: T0 + 70,
          error,
          retry: null,
        });
        assert.equal(last.next, null);
        const runs = await store.queries.listFlowRuns({ flow: "etl" });
        assert.deepEqual(
          runs.map((r) => [r.attempt, r.status, r.jobId]),
          [
            [2, "failed", jobId],
            [1, "failed", jobId],
          ],
        );
        enqueued(await trigger("etl", T0 + 80));
      });

      it("a scheduled job without a run creates one; another job's active run refuses it; a disabled flow skips it", async () => {
        const [scheduled] = await store.jobs.insertJobs([runJob("etl")], T0);
        const claim = await store.flows.claimRun({
          flow: "etl",
          jobId: scheduled!.id,
          attempt: 1,
          source: "schedule",
          requireEnabled: true,
          now: T0 + 1,
        });
        assert.equal(claim.status, "claimed");
        assert.equal(claim.status === "claimed" && claim.created, true);
        assert.equal(claim.status === "claimed" && claim.run.source, "schedule");
        assert.equal(claim.status === "claimed" && claim.run.jobId, scheduled!.id);
        const flow = await store.queries.getFlow("etl");
        assert.equal(flow?.lastRunAt, T0 + 1);
        assert.equal(flow?.lastRunStatus, "in_progress");

        const [late] = await store.jobs.insertJobs([runJob("etl")], T0);
        const refused = await store.flows.claimRun({
          flow: "etl",
          jobId: late!.id,
          attempt: 1,
          source: "schedule",
          requireEnabled: true,
          now: T0 + 2,
        });
        assert.equal(refused.status, "already_running");
        assert.equal(refused.status === "already_running" && refused.run.jobId, scheduled!.id);

        const runId = claim.status === "claimed" ? claim.run.id : "";
        await store.flows.startRun(runId, T0 + 3);
        await store.flows.finishRun({ runId, status: "success", endedAt: T0 + 4, error: null, retry: null });
        await store.flows.setFlowEnabled("etl", false, T0 + 5);
        const disabled = await store.flows.claimRun({
          flow: "etl",
          jobId: late!.id,
          attempt: 1,
          source: "schedule",
          requireEnabled: true,
          now: T0 + 6,
        });
        assert.deepEqual(disabled, { status: "disabled" });
        assert.deepEqual(
          await store.flows.claimRun({
            flow: "nope",
            jobId: late!.id,
            attempt: 1,
            source: "schedule",
            requireEnabled: true,
            now: T0,
          }),
          { status: "not_found" },
        );
      });

      it("a re-run of the same job closes its interrupted in-progress run and starts a new one", async () => {
        const { run, jobId } = enqueued(await trigger());
        await store.flows.startRun(run.id, T0 + 10);
        const claim = await store.flows.claimRun({
          flow: "etl",
          jobId,
          attempt: 2,
          source: "manual",
          requireEnabled: false,
          now: T0 + 1_000,
        });
        assert.equal(claim.status, "claimed");
        if (claim.status !== "claimed") return;
        assert.equal(claim.created, true);
        assert.equal(claim.run.attempt, 2);
        assert.deepEqual(
          claim.abandoned.map((r) => [r.id, r.status, r.errorMessage, r.durationMs]),
          [[run.id, "failed", INTERRUPTED_RUN_MESSAGE, 990]],
        );
      });
    });

    describe("stale runs", () => {
      beforeEach(async () => {
        await store.flows.syncFlows([flowDef(), flowDef({ name: "other" })], T0);
      });

      it("a run whose job ended without finishing it is closed as failed, and never blocks the flow", async () => {
        const first = enqueued(await trigger());
        const claimed = await claimJob();
        await store.flows.startRun(first.run.id, T0 + 10);
        // The worker died and attempts ran out: the lease machinery discards the job.
        await store.jobs.finishAttempts([
          {
            jobId: claimed.id,
            leaseToken: claimed.leaseToken,
            workerId: "w1",
            attempt: 1,
            startedAt: T0,
            endedAt: T0 + 20,
            outcome: "discarded",
            next: { state: "discarded" },
            error: { message: "gone", stack: null },
            state: null,
            tick: null,
          },
        ]);
        const second = enqueued(await trigger("etl", T0 + 100));
        assert.deepEqual(
          second.abandoned.map((r) => [r.id, r.status, r.errorMessage, r.endedAt, r.durationMs]),
          [[first.run.id, "failed", ABANDONED_RUN_MESSAGE, T0 + 100, 90]],
        );
        assert.equal((await store.queries.getFlowRun(first.run.id))?.status, "failed");
      });

      it("releaseStaleRuns closes every stale run (pending runs of cancelled jobs too), and nothing else", async () => {
        const a = enqueued(await trigger("etl"));
        const b = enqueued(await trigger("other"));
        await store.jobs.cancelJob(a.jobId, T0 + 1);
        const closed = await store.flows.releaseStaleRuns(T0 + 50);
        assert.deepEqual(
          closed.map((r) => [r.id, r.status, r.startedAt, r.durationMs, r.errorMessage]),
          [[a.run.id, "failed", null, null, ABANDONED_RUN_MESSAGE]],
        );
        assert.equal((await store.queries.getFlow("etl"))?.lastRunStatus, "failed");
        assert.equal(
          (await store.queries.getFlowRun(b.run.id))?.status,
          "pending",
          "its job is still waiting",
        );
        assert.deepEqual(await store.flows.releaseStaleRuns(T0 + 60), []);
      });
    });

    describe("reads and retention", () => {
      beforeEach(async () => {
        await store.flows.syncFlows([flowDef(), flowDef({ name: "other" })], T0);
      });

      /** Runs one full trigger → success/failure cycle of `flow` at `at`; returns the run id. */
      const cycle = async (flow: string, at: number, status: "success" | "failed", durationMs: number) => {
        const { run } = enqueued(await trigger(flow, at));
        await store.flows.startRun(run.id, at);
        await store.flows.finishRun({
          runId: run.id,
          status,
          endedAt: at + durationMs,
          error: status === "failed" ? { message: "x", stack: null } : null,
          retry: null,
        });
        return run.id;
      };

      it("filters by creation time in the query and pages with a cursor: 100 matching runs under 4 100 newer ones", async () => {
        // Chains of retries: each finish creates the next run pending at its end time (two round
        // trips a run). The 100 matching runs (flow etl, created in [T0, T0 + 99 s]) come first;
        // then 41 other flows add 100 runs each, in parallel, all created later and with newer ids.
        const chain = async (flow: string, count: number, createdAt: (i: number) => number) => {
          let { run } = enqueued(await trigger(flow, createdAt(0)));
          const ids: string[] = [];
          for (let i = 0; i < count; i++) {
            ids.push(run.id);
            await store.flows.startRun(run.id, createdAt(i));
            const { next } = await store.flows.finishRun({
              runId: run.id,
              status: "failed",
              endedAt: createdAt(i + 1),
              error: { message: "x", stack: null },
              retry: { attempt: i + 2 },
            });
            run = next!;
          }
          return ids;
        };
        const others = Array.from({ length: 41 }, (_, i) => `newer-${i}`);
        await store.flows.syncFlows(
          [flowDef(), flowDef({ name: "other" }), ...others.map((name) => flowDef({ name }))],
          T0,
        );
        const ids = await chain("etl", 100, (i) => T0 + i * 1_000);
        await Promise.all(others.map((flow, f) => chain(flow, 100, (i) => T0 + 1_000_000 + f * 1_000 + i)));
        const matching = [...ids].reverse(); // newest first
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 10; page++) {
          const rows = await store.queries.listFlowRuns({
            createdSince: T0,
            createdUntil: T0 + 99_000,
            beforeId: cursor,
            limit: 30,
          });
          seen.push(...rows.map((r) => r.id));
          if (rows.length < 30) break;
          cursor = rows.at(-1)!.id;
        }
        assert.deepEqual(seen, matching);
        assert.deepEqual(
          (await store.queries.listFlowRuns({ createdSince: T0 + 98_000, createdUntil: T0 + 99_000 })).map(
            (r) => r.id,
          ),
          [ids[99], ids[98]],
          "both bounds are inclusive",
        );
      });

      it("lists runs newest first, filtered by flow, status, source and job, paged by id", async () => {
        const r1 = await cycle("etl", T0, "success", 10);
        const r2 = await cycle("etl", T0 + 100, "failed", 20);
        const r3 = await cycle("other", T0 + 200, "success", 30);
        const { run: r4, jobId } = enqueued(await trigger("etl", T0 + 300, "heartbeat"));
        assert.deepEqual(
          (await store.queries.listFlowRuns()).map((r) => r.id),
          [r4.id, r3, r2, r1],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ flow: "etl", limit: 2 })).map((r) => r.id),
          [r4.id, r2],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ flow: "etl", beforeId: r2 })).map((r) => r.id),
          [r1],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ status: "success" })).map((r) => r.id),
          [r3, r1],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ status: ["pending", "failed"] })).map((r) => r.id),
          [r4.id, r2],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ source: "heartbeat" })).map((r) => r.id),
          [r4.id],
        );
        assert.deepEqual(
          (await store.queries.listFlowRuns({ jobId })).map((r) => r.id),
          [r4.id],
        );
        assert.deepEqual(await store.queries.listFlowRuns({ jobId: "not-a-job" }), []);
        assert.equal(await store.queries.getFlowRun("999999"), null);
        assert.equal(await store.queries.getFlowRun("nope"), null);
        assert.deepEqual(await store.queries.finishedFlowRunSummaries("etl", 10), [
          { status: "failed", durationMs: 20 },
          { status: "success", durationMs: 10 },
        ]);
      });

      it("prunes finished runs by age and beyond the newest N per flow, never active ones", async () => {
        const old = await cycle("etl", T0, "success", 10);
        const mid = await cycle("etl", T0 + 1_000, "success", 10);
        const recent = await cycle("etl", T0 + 2_000, "failed", 10);
        const otherRun = await cycle("other", T0, "success", 10);
        const { run: active } = enqueued(await trigger("etl", T0 + 3_000));
        assert.equal(await store.flows.pruneRuns({ endedBefore: T0 + 500, keepPerFlow: null }), 2);
        assert.equal(await store.queries.getFlowRun(old), null);
        assert.equal(await store.queries.getFlowRun(otherRun), null);
        assert.equal(await store.flows.pruneRuns({ endedBefore: null, keepPerFlow: 1 }), 1);
        assert.equal(await store.queries.getFlowRun(mid), null);
        assert.equal((await store.queries.getFlowRun(recent))?.status, "failed");
        assert.equal((await store.queries.getFlowRun(active.id))?.status, "pending");
        assert.equal(await store.flows.pruneRuns({ endedBefore: null, keepPerFlow: null }), 0);
      });
    });
  });
}
