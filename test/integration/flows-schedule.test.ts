import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { flowTestbed, gate, recordFlowEvents } from "../helpers/flows.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** The fixture's rule: a run fails when its nominal second is divisible by 3. */
const expectedStatus = (scheduledFor: number) =>
  Math.round(scheduledFor / 1_000) % 3 === 0 ? "failed" : "success";

describe("data flows on a schedule", () => {
  it("a scheduled flow runs on its schedule; its runs appear in order with their statuses", async () => {
    const bed = await flowTestbed();
    try {
      const nominal = new Map<string, number>();
      const flow = defineFlow({
        name: "every-second",
        schedule: "1s",
        retries: 0,
        async run(ctx) {
          nominal.set(ctx.runId, ctx.scheduledFor!);
          assert.equal(ctx.source, "schedule");
          if (expectedStatus(ctx.scheduledFor!) === "failed") throw new Error("divisible by 3");
        },
      });
      const tf = await bed.instance([flow]);
      const before = Date.now();
      await tf.start();
      const schedule = (await tf.schedules()).find((s) => s.id === "every-second");
      assert.equal(
        schedule?.jobType,
        "tickflow.flow-run",
        "an ordinary stored schedule fires the flow-run job",
      );
      const status = await tf.flows.get("every-second");
      // Bounded by clock reads on both sides, not one "now": this test once took 12.9 s instead of
      // ~5 (a stalled machine) and found nextRunAt more than a second behind.
      const nextRunAt = status!.nextRunAt!;
      assert.ok(nextRunAt > before - 1_000 && nextRunAt <= Date.now() + 1_000, `next run at ${nextRunAt}`);
      await waitFor(
        async () =>
          (await tf.flows.runs({ flow: "every-second", status: ["success", "failed"] })).length >= 4,
        "four finished runs",
        8_000,
      );
      await tf.stop();
      const runs = (
        await bed.store.queries.listFlowRuns({ flow: "every-second", status: ["success", "failed"] })
      ).reverse();
      const times = runs.map((r) => nominal.get(r.id)!);
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        "run ids follow the nominal times",
      );
      assert.equal(new Set(times).size, times.length, "no tick ran twice");
      // One run per tick (a tick due while the previous run was unfinished is skipped, never doubled).
      for (let i = 1; i < times.length; i++) assert.equal((times[i]! - times[i - 1]!) % 1_000, 0);
      for (const run of runs) {
        assert.equal(run.source, "schedule");
        assert.equal(run.attempt, 1);
        assert.equal(run.status, expectedStatus(nominal.get(run.id)!), `run ${run.id}`);
        if (run.status === "failed") assert.equal(run.errorMessage, "divisible by 3");
      }
      const last = runs.at(-1)!;
      assert.equal((await bed.store.queries.getFlow("every-second"))?.lastRunStatus, last.status);
    } finally {
      await bed.cleanup();
    }
  });

  it("a tick that finds the flow running (triggered by hand) is skipped: no second run", async () => {
    const bed = await flowTestbed();
    try {
      const hold = gate();
      const flow = defineFlow({ name: "busy", schedule: "1s", run: () => hold.promise });
      // The worker syncs the schedule but fires nothing itself; the manual run goes first.
      const worker = await bed.instance([flow]);
      await worker.start({ scheduler: false, syncSchedules: true });
      const events = recordFlowEvents(worker);
      const manual = await worker.flows.trigger("busy");
      await waitFor(() => events.some((e) => e.event === "flow:start"), "the manual run to start");
      const scheduler = await bed.instance([flow]);
      await scheduler.start({ worker: false });
      await waitFor(() => events.some((e) => e.event === "flow:skip"), "a tick to be refused", 5_000);
      const skip = events.find((e) => e.event === "flow:skip")!;
      assert.equal(skip.event, "flow:skip");
      if (skip.event === "flow:skip") {
        assert.equal(skip.payload.source, "schedule");
        assert.equal(skip.payload.reason, "already_running");
        assert.equal(skip.payload.activeRunId, manual.runId);
        assert.ok(skip.payload.jobId !== null);
        await waitFor(
          async () => (await worker.getJob(skip.payload.jobId!))?.state === "succeeded",
          "the skipped job to end",
        );
      }
      assert.deepEqual(
        (await worker.flows.runs({ flow: "busy" })).map((r) => r.id),
        [manual.runId],
        "the tick recorded no run",
      );
      hold.release();
      await waitFor(
        async () => (await worker.flows.run(manual.runId))?.status === "success",
        "the manual run",
      );
    } finally {
      await bed.cleanup();
    }
  });

  it("end to end through `tickflow start`: a flows folder's scheduled flow runs every second with recorded runs", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledgerFile = join(dir, "ledger.txt");
    const service = spawnTickflow(["start", "-c", "test/fixtures/flows.config.ts"], {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_FLOWS_DIR: "test/fixtures/scheduled-flows",
      TICKFLOW_POLL_INTERVAL: "50ms",
      TICKFLOW_TEST_LEDGER: ledgerFile,
    });
    const ledger = () =>
      (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8") : "")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" "));
    let store: SqliteStore | undefined;
    try {
      await waitFor(() => ledger().length >= 4, "four scheduled runs", 15_000);
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
      store = new SqliteStore(file);
      const runs = (await store.queries.listFlowRuns({ flow: "fixture-every-second" })).reverse();
      const nominal = new Map(ledger().map(([runId, at]) => [runId!, Number(at)]));
      assert.ok(runs.length >= 4);
      let previous = 0;
      for (const run of runs) {
        const at = nominal.get(run.id)!;
        assert.ok(at > previous, "in order");
        previous = at;
        assert.equal(run.source, "schedule");
        assert.equal(run.status, expectedStatus(at), `run ${run.id} at ${new Date(at).toISOString()}`);
        assert.ok(run.durationMs !== null && run.endedAt !== null);
      }
      const flow = await store.queries.getFlow("fixture-every-second");
      assert.equal(flow?.lastRunStatus, runs.at(-1)!.status);
      assert.equal(flow?.queue, "default");
      assert.match(service.output(), /"msg":"flows created"/);
      assert.match(service.output(), /flow fixture-every-second run #\d+ (succeeded|failed)/);
    } finally {
      service.child.kill("SIGKILL");
      await store?.close();
      cleanup();
    }
  });
});
