import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidScheduleError, UnknownJobTypeError } from "../../src/errors.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import { defineSchedule } from "../../src/runtime/schedules.ts";
import type { TickRow } from "../../src/store/ports/rows.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { planFor } from "../helpers/plan.ts";
import { asJobs } from "../helpers/runtime.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const counter = defineJob<null, { runs: number }>(
  "counter",
  async (_p, ctx) => {
    ctx.state = { runs: (ctx.state?.runs ?? 0) + 1 };
  },
  { stateful: true },
);

describe("schedules", () => {
  it("applies each misfire policy to the ticks missed while stopped, and keeps durable state across the restart", async () => {
    const h = await createTestSqliteStore();
    const schedules = (["skip", "latest", "all"] as const).map((misfire) =>
      defineSchedule({ key: `every-${misfire}`, job: counter, every: "1s", misfire, overlap: "allow" }),
    );
    const make = () => new Tickflow(h.store, { jobs: asJobs(counter), schedules, pollIntervalMs: 50 }, false);
    try {
      const first = make();
      await first.start();
      await waitFor(
        async () => (await h.store.queries.listTicks("every-all")).length >= 2,
        "two ticks",
        5_000,
      );
      await first.stop();
      const stoppedAt = Date.now();
      await sleep(4_200); // four ticks pass with nothing running
      const second = make();
      await second.start();
      await waitFor(
        async () => (await h.store.queries.listTicks("every-all", { since: stoppedAt + 4_200 })).length >= 1,
        "a tick after restart",
        5_000,
      );
      await second.stop();

      const missedWindow = async (key: string): Promise<TickRow[]> =>
        (await h.store.queries.listTicks(key, { since: stoppedAt, limit: 100 })).filter(
          (t) => t.decidedAt - t.nominalAt > 1_000, // decided late: a tick from the stopped period
        );
      const skip = await missedWindow("every-skip");
      const latest = await missedWindow("every-latest");
      const all = await missedWindow("every-all");
      assert.ok(skip.length >= 2 && latest.length >= 2 && all.length >= 2, "at least two late ticks each");
      assert.deepEqual(new Set(skip.map((t) => `${t.decision}/${t.reason}`)), new Set(["missed/misfire"]));
      const latestFired = latest.filter((t) => t.decision === "fired");
      assert.equal(latestFired.length, 0, "latest keeps none of the late ticks when an on-time one fired");
      assert.deepEqual(
        new Set(latest.map((t) => `${t.decision}/${t.reason}`)),
        new Set(["missed/coalesced"]),
      );
      assert.deepEqual(new Set(all.map((t) => `${t.decision}/${t.reason}`)), new Set(["fired/misfire"]));
      for (const t of all) assert.notEqual(t.jobId, null);

      const fired = (await h.store.queries.listTicks("every-all", { limit: 100 })).filter(
        (t) => t.decision === "fired",
      );
      await waitFor(
        async () => (await h.store.queries.loadJobState("schedule:every-all")) !== undefined,
        "state",
      );
      const state = (await h.store.queries.loadJobState("schedule:every-all")) as { runs: number };
      // A tick is decided just before its nominal time (the scheduler's lead) and its job runs at
      // that time: one decided right before stop() waits in the store for the next start.
      const ran = fired.filter((t) => t.startedAt !== null);
      assert.ok(fired.length - ran.length <= 1, "at most the last fired tick has not run yet");
      assert.equal(state.runs, ran.length, "ctx.state counted every run, across both instances");
    } finally {
      await h.cleanup();
    }
  });

  it("latest coalesces a fully missed window into one late run (injected clock)", async () => {
    const h = await createTestSqliteStore();
    const T = Date.UTC(2030, 0, 1, 0, 0, 0);
    const clock = new FakeClock(T);
    const tf = new Tickflow(
      h.store,
      {
        jobs: asJobs(counter),
        schedules: [defineSchedule({ key: "m", job: counter, cron: "* * * * *", misfire: "latest" })],
        clock,
      },
      false,
    );
    try {
      await tf.syncSchedules();
      clock.set(T + 5 * 60_000 + 30_000); // 00:05:30 — ticks 00:01 … 00:05 all late
      await h.store.schedules.fireDueSchedules({
        now: clock.now(),
        limit: 10,
        plan: planFor(clock.now()),
      });
      const ticks = (await tf.listTicks("m")).reverse();
      assert.deepEqual(
        ticks.map((t) => [new Date(t.nominalAt).toISOString().slice(11, 16), t.decision, t.reason]),
        [
          ["00:01", "missed", "coalesced"],
          ["00:02", "missed", "coalesced"],
          ["00:03", "missed", "coalesced"],
          ["00:04", "missed", "coalesced"],
          ["00:05", "fired", "misfire"],
        ],
      );
      assert.equal((await h.store.queries.getSchedule("m"))?.nextFireAt, T + 6 * 60_000);
    } finally {
      await h.cleanup();
    }
  });

  it("reconciles code-defined schedules at startup: create, update, prune", async () => {
    const h = await createTestSqliteStore();
    const sync = async (schedules: ReturnType<typeof defineSchedule>[]) => {
      const tf = new Tickflow(h.store, { jobs: asJobs(counter), schedules }, false);
      const reports: unknown[] = [];
      tf.on("schedule:sync", ({ created, updated, removed }) => reports.push({ created, updated, removed }));
      await tf.syncSchedules();
      return reports[0];
    };
    try {
      assert.deepEqual(
        await sync([
          defineSchedule({ key: "a", job: counter, cron: "0 * * * *" }),
          defineSchedule({ key: "b", job: counter, every: "5m" }),
        ]),
        {
          created: ["a", "b"],
          updated: [],
          removed: [],
        },
      );
      assert.deepEqual(await sync([defineSchedule({ key: "a", job: counter, cron: "30 * * * *" })]), {
        created: [],
        updated: ["a"],
        removed: ["b"],
      });
      const a = await h.store.queries.getSchedule("a");
      assert.deepEqual(a?.trigger, { kind: "cron", expression: "30 * * * *", timezone: "UTC" });
      assert.equal(new Date(a!.nextFireAt!).getUTCMinutes(), 30);
    } finally {
      await h.cleanup();
    }
  });

  it("pauses and resumes: paused ticks are recorded as skipped", async () => {
    const h = await createTestSqliteStore();
    const tf = new Tickflow(
      h.store,
      {
        jobs: asJobs(counter),
        schedules: [defineSchedule({ key: "p", job: counter, every: "200ms" })],
        pollIntervalMs: 50,
      },
      false,
    );
    try {
      await tf.start();
      await tf.pauseSchedule("p");
      await sleep(700);
      const paused = await tf.listTicks("p");
      assert.ok(paused.some((t) => t.decision === "skipped" && t.reason === "paused"));
      await tf.resumeSchedule("p");
      await waitFor(
        async () => (await tf.listTicks("p", { limit: 1 }))[0]?.decision === "fired",
        "a fired tick after resume",
      );
      const listing = await tf.schedules();
      assert.equal(listing[0]?.paused, false);
      assert.ok(listing[0]?.nextFireAt !== null);
    } finally {
      await tf.stop(0);
      await h.cleanup();
    }
  });

  it("rejects bad schedules at definition or startup and stores nothing", async () => {
    assert.throws(() => defineSchedule({ key: "bad", job: counter, cron: "61 * * * *" }), /"61 \* \* \* \*"/);
    assert.throws(
      () => defineSchedule({ key: "bad", job: counter, cron: "* * * * *", timezone: "Mars/Base" }),
      /Mars\/Base/,
    );
    assert.throws(() => defineSchedule({ key: "bad", job: counter, every: "soon" }), InvalidScheduleError);
    const h = await createTestSqliteStore();
    try {
      const tf = new Tickflow(
        h.store,
        { jobs: [], schedules: [defineSchedule({ key: "orphan", job: "missing-job", every: "1m" })] },
        false,
      );
      await assert.rejects(tf.start(), UnknownJobTypeError);
      assert.deepEqual(await h.store.queries.listSchedules(), []);
    } finally {
      await h.cleanup();
    }
  });

  it("previews the next runs of a stored schedule", async () => {
    const h = await createTestSqliteStore();
    const clock = new FakeClock(Date.UTC(2026, 2, 28, 12, 0, 0));
    const tf = new Tickflow(
      h.store,
      {
        jobs: asJobs(counter),
        schedules: [
          defineSchedule({ key: "berlin", job: counter, cron: "30 2 * * *", timezone: "Europe/Berlin" }),
        ],
        clock,
      },
      false,
    );
    try {
      await tf.syncSchedules();
      const runs = (await tf.previewRuns("berlin", 3)).map((d) => d.toISOString());
      // 2026-03-29 is spring-forward day in Berlin: 02:30 does not exist; it runs once, at 03:00 CEST (01:00Z).
      assert.deepEqual(runs, [
        "2026-03-29T01:00:00.000Z",
        "2026-03-30T00:30:00.000Z",
        "2026-03-31T00:30:00.000Z",
      ]);
    } finally {
      await h.cleanup();
    }
  });
});
