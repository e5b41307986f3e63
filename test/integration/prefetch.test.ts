import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import type { JobRow } from "../../src/store/ports/rows.ts";
import type { Tickflow } from "../../src/tickflow.ts";
import { asJobs, startTestTickflow } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

/** Jobs that block until the test lets them go, recording the order they start in. */
function gatedJobs() {
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  const gated = defineJob<{ name: string }>("gated", async ({ name }) => {
    started.push(name);
    await new Promise<void>((resolve) => gates.set(name, resolve));
  });
  const open = (name: string) => {
    const resolve = gates.get(name);
    assert.ok(resolve, `${name} is running`);
    gates.delete(name);
    resolve();
  };
  return { gated, started, open, running: () => [...gates.keys()] };
}

async function jobsIn(tickflow: Tickflow, state: JobRow["state"]): Promise<JobRow[]> {
  return tickflow.queries.listJobs({ states: [state], limit: 100 });
}

describe("prefetching claims", () => {
  it("holds claimed jobs beyond its free slots, and hands them back unstarted on stop", async () => {
    const { gated, started, open } = gatedJobs();
    const t = await startTestTickflow(asJobs(gated), { concurrency: 1, prefetch: 3 });
    try {
      // One insert, one hint, one claim: the pool takes all it may hold at once.
      const ids = await t.tickflow.enqueueMany(
        Array.from({ length: 6 }, (_, i) => ({ type: gated, payload: { name: `j${i}` } })),
      );
      await waitFor(() => started.length === 1, "the first job to start");
      const leased = await jobsIn(t.tickflow, "running");
      assert.deepEqual(
        leased.map((j) => j.id).sort(),
        ids.slice(0, 4).sort(),
        "one running and three prefetched, all leased to this worker",
      );
      assert.ok(leased.every((j) => j.leaseOwner === t.tickflow.workerId));

      const stopped = t.tickflow.stop(10_000);
      // The prefetched jobs go back before the running one finishes: another worker may run them now.
      await waitFor(
        async () => (await jobsIn(t.tickflow, "running")).length === 1,
        "the prefetched jobs back",
      );
      open("j0");
      await stopped;
      assert.deepEqual(started, ["j0"], "no prefetched job started during the stop");
      assert.equal((await t.tickflow.getJob(ids[0]!))?.state, "succeeded");
      for (const id of ids.slice(1)) {
        const row = await t.tickflow.getJob(id);
        assert.equal(row?.state, "available", `job ${id}`);
        assert.equal(row?.attempt, 0, "the attempt is not counted");
        assert.equal(row?.leaseOwner, null);
        assert.deepEqual(await t.tickflow.listJobRuns(id), [], "no run row: it never started");
      }
    } finally {
      await t.cleanup();
    }
  });

  it("starts a higher-priority job ahead of lower ones it prefetched earlier", async () => {
    const prefetch = 4;
    const { gated, started, open, running } = gatedJobs();
    const t = await startTestTickflow(asJobs(gated), { concurrency: 1, prefetch });
    try {
      await t.tickflow.enqueueMany(
        Array.from({ length: 12 }, (_, i) => ({ type: gated, payload: { name: `low${i}` } })),
      );
      await waitFor(() => started.length === 1, "the first job to start");
      const claimedBefore = (await jobsIn(t.tickflow, "running")).length;
      assert.equal(claimedBefore, 1 + prefetch);
      await t.tickflow.enqueue(gated, { name: "high" }, { priority: 10 });
      while (started.length < 13) {
        const [name] = await waitFor(() => (running().length === 1 ? running() : undefined), "a job to run");
        open(name!);
        await waitFor(() => started.length === 13 || running().length === 1, "the next job");
      }
      const lows = started.filter((n) => n !== "high");
      assert.deepEqual(
        lows,
        Array.from({ length: 12 }, (_, i) => `low${i}`),
        "equal priorities in order",
      );
      const at = started.indexOf("high");
      // Only jobs already claimed when it was enqueued may start before it, and not all of them:
      // the local queue refills once half empty, and high is put ahead of the lows still held
      // (appended after them, it would start at claimedBefore).
      assert.ok(at < claimedBefore, `high started at ${at}: ${started.join(" ")}`);
    } finally {
      await t.cleanup();
    }
  });

  it("with prefetch 0 claims only into free slots", async () => {
    const { gated, started, open } = gatedJobs();
    const t = await startTestTickflow(asJobs(gated), { concurrency: 2, prefetch: 0 });
    try {
      for (let i = 0; i < 5; i++) await t.tickflow.enqueue(gated, { name: `j${i}` });
      await waitFor(() => started.length === 2, "two jobs to start");
      assert.equal((await jobsIn(t.tickflow, "running")).length, 2);
      open("j0");
      open("j1");
      await waitFor(() => started.length === 4, "the next two");
      open("j2");
      open("j3");
      await waitFor(() => started.length === 5, "the last");
      open("j4");
    } finally {
      await t.cleanup();
    }
  });
});
