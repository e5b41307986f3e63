import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FlowAlreadyRunningError } from "../../src/errors.ts";
import { defineFlow } from "../../src/flows/define-flow.ts";
import type { FlowTriggerAnswer } from "../../src/flows/trigger-flow.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { flowTestbed, gate, recordFlowEvents } from "../helpers/flows.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { createTestSqliteStore, tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("data flows: one run at a time, across processes", () => {
  it("a trigger while the flow runs in another instance is refused with the running run's id and start", async () => {
    const bed = await flowTestbed();
    try {
      const hold = gate();
      const flow = defineFlow({ name: "long", run: () => hold.promise });
      const a = await bed.instance([flow]);
      const b = await bed.instance([flow]);
      await a.start();
      await b.start({ worker: false });
      const events = recordFlowEvents(a);
      const first = await a.flows.trigger("long");
      await waitFor(() => events.some((e) => e.event === "flow:start"), "the run to start");
      const running = (await b.flows.run(first.runId))!;
      assert.equal(running.status, "in_progress");

      const bEvents = recordFlowEvents(b);
      await assert.rejects(b.flows.trigger("long"), (error: unknown) => {
        assert.ok(error instanceof FlowAlreadyRunningError);
        assert.equal(error.code, "FLOW_ALREADY_RUNNING");
        assert.equal(error.runId, first.runId);
        assert.equal(error.startedAt, running.startedAt);
        assert.match(
          error.message,
          new RegExp(`flow "long" is already running: run ${first.runId} in progress since`),
        );
        return true;
      });
      assert.deepEqual(await b.flows.tryTrigger("long", { source: "heartbeat" }), {
        status: "already_running",
        flow: "long",
        runId: first.runId,
        runStatus: "in_progress",
        startedAt: running.startedAt,
      });
      const skip = bEvents.find((e) => e.event === "flow:skip");
      assert.equal(skip?.event === "flow:skip" && skip.payload.activeRunId, first.runId);
      assert.equal((await a.flows.runs({ flow: "long" })).length, 1, "refusals record no run");
      assert.equal((await bed.store.queries.listJobs({ limit: 10 })).length, 1, "and enqueue nothing");

      hold.release();
      await waitFor(async () => (await a.flows.run(first.runId))?.status === "success", "the run to end");
      await waitFor(async () => (await a.getJob(first.jobId))?.state === "succeeded", "its job to end");
      // Both instances at once, many times: exactly one trigger wins each time.
      const answers = await Promise.all([
        ...Array.from({ length: 5 }, () => a.flows.tryTrigger("long")),
        ...Array.from({ length: 5 }, () => b.flows.tryTrigger("long")),
      ]);
      assert.equal(answers.filter((x) => x.status === "enqueued").length, 1);
      assert.equal(answers.filter((x) => x.status === "already_running").length, 9);
    } finally {
      await bed.cleanup();
    }
  });

  /** Two separate node processes trigger the same flow at the same instant. */
  const twoProcesses = async (databaseUrl: string, store: Store, env: Record<string, string> = {}) => {
    const slow = defineFlow({ name: "fixture-slow", async run() {} });
    const syncer = new Tickflow(store, { flows: [slow] }, false);
    await syncer.start({ worker: false });
    await syncer.stop();
    const at = String(Date.now() + 1_500);
    const child = () =>
      new Promise<FlowTriggerAnswer>((resolve, reject) => {
        const p = spawn(
          process.execPath,
          ["--import", "tsx", "test/fixtures/flow-trigger.ts", databaseUrl, "fixture-slow", at],
          { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        let err = "";
        p.stdout.on("data", (chunk) => {
          out += chunk;
        });
        p.stderr.on("data", (chunk) => {
          err += chunk;
        });
        p.on("exit", (code) => {
          if (code !== 0) reject(new Error(`trigger process exited ${code}: ${err}`));
          else resolve(JSON.parse(out.trim()) as FlowTriggerAnswer);
        });
      });
    const answers = await Promise.all([child(), child()]);
    const enqueued = answers.filter((x) => x.status === "enqueued");
    const refused = answers.filter((x) => x.status === "already_running");
    assert.equal(enqueued.length, 1, JSON.stringify(answers));
    assert.equal(refused.length, 1, JSON.stringify(answers));
    const winner = enqueued[0] as Extract<FlowTriggerAnswer, { status: "enqueued" }>;
    assert.equal(refused[0]?.status === "already_running" && refused[0].runId, winner.runId);
    const runs = await store.queries.listFlowRuns({ flow: "fixture-slow" });
    assert.deepEqual(
      runs.map((r) => [r.id, r.status, r.source]),
      [[winner.runId, "pending", "api"]],
      "exactly one run",
    );
    assert.equal((await store.queries.listJobs({ limit: 10 })).length, 1, "exactly one flow-run job");
  };

  it("two processes triggering the same flow at once on SQLite: exactly one run, the other already_running", async () => {
    const h = await createTestSqliteStore();
    try {
      await twoProcesses(`sqlite:${h.file}`, h.store);
    } finally {
      await h.cleanup();
    }
  });

  it("two processes triggering the same flow at once on PostgreSQL: exactly one run, the other already_running", {
    skip: pgTestSkip(),
  }, async () => {
    const h = await createTestPgStore();
    try {
      await twoProcesses(h.url, h.store, { TICKFLOW_PG_SCHEMA: h.schema });
    } finally {
      await h.cleanup();
    }
  });

  it("a run whose worker process is killed mid-run is released by the lease machinery and runs again elsewhere", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledgerFile = join(dir, "ledger.txt");
    const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8") : "");
    const env = {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_FLOWS_DIR: "test/fixtures/flows",
      TICKFLOW_LEASE: "1s",
      TICKFLOW_POLL_INTERVAL: "50ms",
      TICKFLOW_TEST_LEDGER: ledgerFile,
    };
    const client = new Tickflow(new SqliteStore(file), { flowsDir: "test/fixtures/flows" }, true);
    await client.start({ worker: false });
    const first = spawnTickflow(["worker", "-c", "test/fixtures/flows.config.ts"], env);
    let second: ReturnType<typeof spawnTickflow> | undefined;
    try {
      const { runId, jobId } = await client.flows.trigger("fixture-hang-once");
      await waitFor(
        () => ledger().includes(`started ${runId} attempt 1`),
        "the first attempt to start",
        15_000,
      );
      assert.equal((await client.flows.run(runId))?.status, "in_progress");
      first.child.kill("SIGKILL");
      assert.equal(await first.exited, "SIGKILL");
      // Until the lease expires the flow stays taken: no second run can start.
      assert.equal((await client.flows.tryTrigger("fixture-hang-once")).status, "already_running");
      second = spawnTickflow(["worker", "-c", "test/fixtures/flows.config.ts"], env);
      await waitFor(
        async () => (await client.getJob(jobId))?.state === "succeeded",
        "the flow to run again elsewhere",
        15_000,
      );
      const runs = (await client.flows.runs({ flow: "fixture-hang-once" })).reverse();
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.status, r.jobId]),
        [
          [1, "failed", jobId],
          [2, "success", jobId],
        ],
      );
      assert.match(runs[0]!.errorMessage ?? "", /^interrupted: /);
      assert.equal((await client.flows.get("fixture-hang-once"))?.lastRunStatus, "success");
      assert.match(second.output(), /flow fixture-hang-once run #\d+ succeeded/);
    } finally {
      first.child.kill("SIGKILL");
      second?.child.kill("SIGTERM");
      if (second) await second.exited;
      await client.stop(0);
      cleanup();
    }
  });
});
