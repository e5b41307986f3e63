import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { validate, version } from "uuid";
import { tickflowFromConfig } from "../../../src/cli/run-service.ts";
import { mergeEnv } from "../../../src/config/load.ts";
import {
  HEARTBEAT_CRON,
  HEARTBEAT_EVENT_DELAY_MS,
  HEARTBEAT_EVENT_JOB,
  HEARTBEAT_SCHEDULE_KEY,
  HEARTBEAT_TIMED_JOB,
  type HeartbeatOptions,
  heartbeatStatus,
  isHeartbeatEnabled,
  registerHeartbeat,
} from "../../../src/jobs/heartbeat.ts";
import { defineJob } from "../../../src/runtime/registry.ts";
import type { JobRow } from "../../../src/store/ports/rows.ts";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../../src/store/store.ts";
import { type StartOptions, Tickflow } from "../../../src/tickflow.ts";
import { FakeClock } from "../../helpers/fake-clock.ts";
import { createTestSqliteStore, tempDir } from "../../helpers/sqlite.ts";
import { sleep, waitFor } from "../../helpers/wait-for.ts";
import { RecordingLogger } from "./recording-logger.ts";

/** 30 s into a minute, so the next cron beat is at T1. */
const T0 = Date.UTC(2030, 0, 1, 12, 0, 30);
const T1 = Date.UTC(2030, 0, 1, 12, 1, 0);

const TIMED_LINE = /^Heartbeat \(timed\): UUID=(.+)$/;
const EVENT_LINE = /^Heartbeat \(event\): UUID=(.+)$/;

const other = defineJob("test.other", async () => {});

/** A Tickflow with the heartbeat on a temp SQLite file, a FakeClock and a recording logger. */
async function setup(
  options: HeartbeatOptions & { start?: StartOptions; throwOn?: RegExp; store?: Store } = {},
) {
  const harness = options.store ? undefined : await createTestSqliteStore();
  const store = options.store ?? harness!.store;
  const clock = new FakeClock(T0);
  const logger = new RecordingLogger([], {}, { throwOn: options.throwOn });
  const tickflow = new Tickflow(store, { clock, logger, pollIntervalMs: 20, jobs: [other as never] }, false);
  const heartbeat = registerHeartbeat(tickflow, { enabled: options.enabled ?? true, clock });
  await tickflow.start(options.start);
  const jobs = (type: string) => store.queries.listJobs({ type, limit: 100 });
  const settled = (id: string) =>
    waitFor(async () => {
      const job = await store.queries.getJob(id);
      return job && ["succeeded", "discarded", "failed", "cancelled"].includes(job.state) ? job : null;
    }, `job ${id} to finish`);
  return {
    store,
    file: harness?.file,
    clock,
    logger,
    tickflow,
    heartbeat,
    jobs,
    settled,
    async cleanup() {
      await tickflow.stop(0);
      await harness?.cleanup();
    },
  };
}

describe("isHeartbeatEnabled", () => {
  const cases: [value: string | undefined, expected: boolean][] = [
    ["1", true],
    ["true", true],
    ["yes", true],
    ["on", true],
    ["TRUE", true],
    ["True", true],
    ["YES", true],
    ["On", true],
    [" 1 ", true],
    ["  on\t", true],
    ["\nyes\n", true],
    [undefined, false],
    ["", false],
    ["   ", false],
    ["0", false],
    ["false", false],
    ["FALSE", false],
    ["no", false],
    ["off", false],
    ["garbage", false],
    ["enabled", false],
    ["2", false],
    ["y", false],
    ["1 0", false],
  ];
  for (const [value, expected] of cases) {
    it(`ENABLE_HEARTBEAT=${JSON.stringify(value) ?? "(unset)"} → ${expected}`, () => {
      const env: Record<string, string | undefined> = value === undefined ? {} : { ENABLE_HEARTBEAT: value };
      assert.equal(isHeartbeatEnabled(env), expected);
    });
  }

  it("reads only ENABLE_HEARTBEAT", () => {
    assert.equal(isHeartbeatEnabled({ HEARTBEAT: "1", ENABLE_HEARTBEATS: "1" }), false);
  });
});

describe("heartbeat timed job", () => {
  it("logs the exact line with a UUIDv1 and enqueues the event job with that UUID, due 10 s after the run", async () => {
    const t = await setup();
    try {
      const id = await t.tickflow.enqueue(t.heartbeat.timedJob);
      const job = await t.settled(id);
      assert.equal(job.state, "succeeded");
      const [line, ...more] = t.logger.find("info", TIMED_LINE);
      assert.ok(line, "the timed line is logged");
      assert.equal(more.length, 0);
      const uuid = TIMED_LINE.exec(line.msg)![1]!;
      assert.equal(line.msg, `Heartbeat (timed): UUID=${uuid}`);
      assert.ok(validate(uuid), `${uuid} is a UUID`);
      assert.equal(version(uuid), 1);
      assert.equal(line.fields.job, HEARTBEAT_TIMED_JOB, "through ctx.logger, bound to the job");
      assert.equal(line.fields.jobId, id);

      const events = await t.jobs(HEARTBEAT_EVENT_JOB);
      assert.equal(events.length, 1);
      const event = events[0]!;
      assert.deepEqual(event.payload, { uuid, timedJobId: id });
      assert.equal(event.state, "scheduled");
      assert.equal(event.queue, "tickflow.system", "the reserved lane's queue");
      assert.equal(event.maxAttempts, 1);
      const [run] = await t.store.queries.listJobRuns(id);
      const dueAfterRun = event.runAt - run!.startedAt;
      assert.ok(Math.abs(dueAfterRun - 10_000) <= 50, `due ${dueAfterRun}ms after the run`);
      assert.equal(t.logger.find("info", EVENT_LINE).length, 0, "the event has not run yet");
    } finally {
      await t.cleanup();
    }
  });

  it("each beat has its own UUID", async () => {
    const t = await setup();
    try {
      for (const id of [
        await t.tickflow.enqueue(t.heartbeat.timedJob),
        await t.tickflow.enqueue(t.heartbeat.timedJob),
      ]) {
        await t.settled(id);
      }
      const uuids = t.logger.find("info", TIMED_LINE).map((e) => TIMED_LINE.exec(e.msg)![1]);
      assert.equal(new Set(uuids).size, 2);
      const payloads = (await t.jobs(HEARTBEAT_EVENT_JOB)).map((j) => (j.payload as { uuid: string }).uuid);
      assert.deepEqual(new Set(payloads), new Set(uuids));
    } finally {
      await t.cleanup();
    }
  });

  it("fired by the cron schedule at the minute: timed line, then the event line with the same UUID 10 s later, nothing else", async () => {
    const t = await setup();
    try {
      t.clock.set(T1);
      await t.tickflow.syncSchedules(); // wakes the scheduler now rather than within its 1 s cap
      const timed = await waitFor(async () => {
        const [job] = await t.jobs(HEARTBEAT_TIMED_JOB);
        return job?.state === "succeeded" ? job : null;
      }, "the 12:01 beat to run");
      assert.equal(timed.nominalAt, T1);
      assert.equal(timed.scheduleId, HEARTBEAT_SCHEDULE_KEY);
      const uuid = TIMED_LINE.exec(t.logger.find("info", TIMED_LINE)[0]!.msg)![1]!;
      const [event] = await t.jobs(HEARTBEAT_EVENT_JOB);
      assert.equal(event!.runAt, T1 + HEARTBEAT_EVENT_DELAY_MS);

      t.clock.set(T1 + 9_999);
      await sleep(150);
      assert.equal((await t.store.queries.getJob(event!.id))!.state, "scheduled", "not before its 10 s");
      t.clock.set(T1 + 10_000);
      await t.settled(event!.id);
      const [line, ...more] = t.logger.find("info", EVENT_LINE);
      assert.equal(more.length, 0);
      assert.equal(line!.msg, `Heartbeat (event): UUID=${uuid}`);
      assert.equal(line!.fields.job, HEARTBEAT_EVENT_JOB);
      assert.equal(line!.fields.jobId, event!.id);
      await sleep(100);
      assert.equal(
        (await t.store.queries.listJobs({ limit: 100 })).length,
        2,
        "the event job enqueued nothing",
      );

      const status = await t.heartbeat.status({ now: T1 + 20_000 });
      assert.equal(status.status, "ok", status.reason);
      assert.equal(status.lastTimed?.uuid, uuid);
      assert.equal(status.lastTimed?.latenessMs, 0);
      assert.equal(status.lastEvent?.uuid, uuid);
      assert.equal(status.lastEvent?.delayMs, 10_000);
    } finally {
      await t.cleanup();
    }
  });
});

describe("heartbeat event job", () => {
  it("scheduleEventHeartbeatJob(uuid) enqueues it 10 s from now; it logs the exact line with that UUID and enqueues nothing", async () => {
    const t = await setup();
    try {
      const uuid = "01d3b4f8-1f35-11ef-ac22-7b4e4c2ad94e";
      const id = await t.heartbeat.scheduleEventHeartbeatJob(uuid);
      const job = (await t.store.queries.getJob(id))!;
      assert.equal(job.type, HEARTBEAT_EVENT_JOB);
      assert.equal(job.runAt, T0 + 10_000);
      assert.deepEqual(job.payload, { uuid });
      t.clock.advance(10_000);
      assert.equal((await t.settled(id)).state, "succeeded");
      const lines = t.logger.find("info", /^Heartbeat/);
      assert.deepEqual(
        lines.map((l) => l.msg),
        [`Heartbeat (event): UUID=${uuid}`],
      );
      await sleep(100);
      assert.deepEqual(
        (await t.store.queries.listJobs({ limit: 100 })).map((j) => j.id),
        [id],
        "no further job",
      );
    } finally {
      await t.cleanup();
    }
  });
});

describe("heartbeat failures go through the normal job error path", () => {
  it("an event job without a UUID in its payload fails like any bad job", async () => {
    const t = await setup();
    try {
      const id = await t.tickflow.enqueue(HEARTBEAT_EVENT_JOB, {});
      const job = await t.settled(id);
      assert.equal(job.state, "discarded");
      assert.match(job.lastError ?? "", /needs a payload \{ uuid: string \}/);
      assert.equal(t.logger.find("info", /^Heartbeat/).length, 0);
    } finally {
      await t.cleanup();
    }
  });

  it("a timed job whose enqueue fails (the store rejects the insert) is logged at error with type and id and recorded; other jobs keep running", async () => {
    const t = await setup();
    const db = new Database(t.file!);
    try {
      db.exec(`CREATE TRIGGER reject_heartbeat_event BEFORE INSERT ON jobs WHEN NEW.type = '${HEARTBEAT_EVENT_JOB}'
               BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`);
      const id = await t.tickflow.enqueue(t.heartbeat.timedJob);
      const job = await t.settled(id);
      assert.equal(job.state, "discarded", "maxAttempts 1: no retry");
      assert.match(job.lastError ?? "", /disk full \(test\)/);
      const runs = await t.store.queries.listJobRuns(id);
      assert.deepEqual(
        runs.map((r) => [r.attempt, r.outcome]),
        [[1, "discarded"]],
      );
      assert.match(runs[0]!.errorMessage ?? "", /disk full \(test\)/);
      const [error, ...more] = t.logger.find("error", /failed/);
      assert.equal(more.length, 0);
      assert.equal(error!.fields.job, HEARTBEAT_TIMED_JOB);
      assert.equal(error!.fields.jobId, id);
      assert.match(error!.msg, new RegExp(`job ${HEARTBEAT_TIMED_JOB} #${id} failed .*disk full \\(test\\)`));
      assert.equal(t.logger.find("info", TIMED_LINE).length, 1, "it logged its beat before failing");
      assert.equal((await t.jobs(HEARTBEAT_EVENT_JOB)).length, 0);

      const next = await t.tickflow.enqueue(other);
      assert.equal((await t.settled(next)).state, "succeeded", "other jobs keep running");
      db.exec("DROP TRIGGER reject_heartbeat_event");
      const again = await t.tickflow.enqueue(t.heartbeat.timedJob);
      assert.equal((await t.settled(again)).state, "succeeded", "the next beat works again");
      assert.equal((await t.jobs(HEARTBEAT_EVENT_JOB)).length, 1);
    } finally {
      db.close();
      await t.cleanup();
    }
  });

  it("an event job that throws (its logger fails) is logged at error and recorded like any job", async () => {
    const t = await setup({ throwOn: /^Heartbeat \(event\)/ });
    try {
      const id = await t.heartbeat.scheduleEventHeartbeatJob("01d3b4f8-1f35-11ef-ac22-7b4e4c2ad94e");
      t.clock.advance(10_000);
      const job = await t.settled(id);
      assert.equal(job.state, "discarded");
      const runs = await t.store.queries.listJobRuns(id);
      assert.equal(runs.length, 1);
      assert.match(runs[0]!.errorMessage ?? "", /logger refused/);
      const [error] = t.logger.find("error", /failed/);
      assert.equal(error!.fields.job, HEARTBEAT_EVENT_JOB);
      assert.equal(error!.fields.jobId, id);
      const next = await t.tickflow.enqueue(other);
      assert.equal((await t.settled(next)).state, "succeeded");
    } finally {
      await t.cleanup();
    }
  });
});

describe("heartbeat bootstrap (tickflowFromConfig, the CLI's composition root)", () => {
  /** One CLI boot: config from the environment, reconcile schedules, stop. */
  async function boot(file: string, enable: string | undefined) {
    const env: Record<string, string> = { TICKFLOW_DATABASE_URL: `sqlite:${file}` };
    if (enable !== undefined) env.ENABLE_HEARTBEAT = enable;
    const config = mergeEnv({ log: { level: "info", format: "json" } }, env);
    const logger = new RecordingLogger();
    const tickflow = await tickflowFromConfig(config, logger);
    await tickflow.start({ worker: false, scheduler: false, syncSchedules: true });
    await tickflow.stop(0);
    const store = new SqliteStore(file);
    try {
      return {
        logger,
        schedules: await store.queries.listSchedules(),
        jobs: await store.queries.listJobs({ limit: 100 }),
      };
    } finally {
      await store.close();
    }
  }

  for (const enable of ["1", "true", " Yes ", "ON"]) {
    it(`ENABLE_HEARTBEAT=${JSON.stringify(enable)}: a stored cron schedule "* * * * *" for the timed job`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const before = Date.now();
        const { schedules, jobs, logger } = await boot(join(dir, "t.db"), enable);
        assert.equal(schedules.length, 1);
        const s = schedules[0]!;
        assert.equal(s.id, HEARTBEAT_SCHEDULE_KEY);
        assert.equal(s.jobType, HEARTBEAT_TIMED_JOB);
        assert.deepEqual(s.trigger, { kind: "cron", expression: HEARTBEAT_CRON, timezone: "UTC" });
        assert.equal(HEARTBEAT_CRON, "* * * * *");
        assert.equal(s.misfire, "skip");
        assert.equal(s.overlap, "allow");
        assert.equal(s.paused, false);
        assert.equal(s.jobOptions.queue, "tickflow.system");
        assert.equal(s.jobOptions.maxAttempts, 1);
        assert.equal(s.nextFireAt! % 60_000, 0, "fires on minute boundaries");
        assert.ok(s.nextFireAt! > before && s.nextFireAt! <= before + 61_000);
        assert.equal(jobs.length, 0, "nothing enqueued at boot");
        assert.deepEqual(logger.find("info", /schedules created/)[0]?.fields.schedules, [
          HEARTBEAT_SCHEDULE_KEY,
        ]);
      } finally {
        cleanup();
      }
    });
  }

  for (const enable of [undefined, "", "0", "false", "no", "off", "garbage"]) {
    it(`ENABLE_HEARTBEAT=${JSON.stringify(enable) ?? "(unset)"}: no heartbeat schedule, and none after a restart`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const file = join(dir, "t.db");
        for (let boots = 0; boots < 2; boots++) {
          const { schedules, jobs, logger } = await boot(file, enable);
          assert.deepEqual(schedules, []);
          assert.deepEqual(jobs, []);
          assert.equal(
            logger.find("info", /heartbeat disabled|schedules removed/).length,
            0,
            "nothing to remove",
          );
        }
      } finally {
        cleanup();
      }
    });
  }

  it("enabled, then restarted disabled: reconciliation removes the schedule and says so; it stays gone", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "t.db");
      assert.equal((await boot(file, "1")).schedules.length, 1);
      const off = await boot(file, undefined);
      assert.deepEqual(off.schedules, []);
      const [removed] = off.logger.find("info", /schedules removed \(no longer defined\)/);
      assert.deepEqual(removed?.fields.schedules, [HEARTBEAT_SCHEDULE_KEY]);
      assert.equal(off.logger.find("info", /heartbeat disabled \(ENABLE_HEARTBEAT is off\)/).length, 1);
      const again = await boot(file, "0");
      assert.deepEqual(again.schedules, []);
      assert.equal(again.logger.find("info", /heartbeat disabled/).length, 0);
      assert.equal((await boot(file, "yes")).schedules.length, 1, "and back on again");
    } finally {
      cleanup();
    }
  });
});

describe("heartbeat disabled", () => {
  it("a running tickflow with the heartbeat off enqueues no heartbeat job as minutes pass", async () => {
    const t = await setup({ enabled: false });
    try {
      assert.equal(t.heartbeat.schedule, null);
      for (const at of [T1, T1 + 60_000, T1 + 120_000]) {
        t.clock.set(at);
        await t.tickflow.syncSchedules();
        await sleep(50);
      }
      assert.deepEqual(await t.store.queries.listJobs({ limit: 100 }), []);
      assert.deepEqual(await t.store.queries.listSchedules(), []);
    } finally {
      await t.cleanup();
    }
  });

  it("a beat fired before the heartbeat was turned off runs after the restart without enqueueing its event", async () => {
    const harness = await createTestSqliteStore();
    try {
      const on = await setup({ store: harness.store, start: { worker: false } });
      on.clock.set(T1);
      await on.tickflow.syncSchedules();
      const [fired] = await waitFor(async () => {
        const jobs = await on.jobs(HEARTBEAT_TIMED_JOB);
        return jobs.length > 0 ? jobs : null;
      }, "the 12:01 beat to be fired");
      await on.cleanup();
      assert.equal(fired!.state, "available", "fired, not run: no worker");

      const off = await setup({ store: harness.store, enabled: false });
      try {
        off.clock.set(T1 + 1_000);
        const job = (await off.settled(fired!.id)) as JobRow;
        assert.equal(job.state, "succeeded");
        assert.equal(off.logger.find("info", TIMED_LINE).length, 0);
        assert.equal(off.logger.find("info", /leftover beat does nothing/).length, 1);
        await sleep(100);
        assert.deepEqual(await off.jobs(HEARTBEAT_EVENT_JOB), []);
        assert.deepEqual(await off.store.queries.listSchedules(), []);
      } finally {
        await off.cleanup();
      }
    } finally {
      await harness.cleanup();
    }
  });
});

describe("heartbeatStatus (read from the store)", () => {
  it("no schedule and no beat: missing, schedule null", async () => {
    const t = await setup({ enabled: false });
    try {
      const status = await heartbeatStatus(t.tickflow, { now: T0 });
      assert.equal(status.status, "missing");
      assert.equal(status.schedule, null);
      assert.equal(status.lastTimed, null);
      assert.equal(status.lastEvent, null);
    } finally {
      await t.cleanup();
    }
  });

  it("enabled, before the first beat is due: ok (waiting); two minutes + grace later with no beat: missing", async () => {
    const t = await setup({ start: { worker: false, scheduler: false, syncSchedules: true } });
    try {
      const waiting = await heartbeatStatus(t.tickflow, { now: T0 + 1_000 });
      assert.equal(waiting.status, "ok", waiting.reason);
      assert.match(waiting.reason, /waiting for the first timed beat at 2030-01-01T12:01:00.000Z/);
      assert.equal(waiting.schedule?.createdAt, T0);
      assert.equal((await heartbeatStatus(t.tickflow, { now: T1 + 5_001 })).status, "late");
      assert.equal((await heartbeatStatus(t.tickflow, { now: T1 + 65_001 })).status, "missing");
    } finally {
      await t.cleanup();
    }
  });

  it("after a full pair: ok, then late, then missing as minutes pass without beats", async () => {
    const t = await setup();
    try {
      t.clock.set(T1);
      await t.tickflow.syncSchedules();
      const [timed] = await waitFor(async () => {
        const jobs = await t.jobs(HEARTBEAT_TIMED_JOB);
        return jobs[0]?.state === "succeeded" ? jobs : null;
      }, "the beat");
      const pending = await t.heartbeat.status({ now: T1 + 1_000 });
      assert.equal(pending.status, "ok", pending.reason);
      assert.equal(pending.lastEvent, null);
      assert.equal(pending.lastTimed?.jobId, timed!.id);
      assert.equal((await t.heartbeat.status({ now: T1 + 15_001 })).event, "late", "event overdue");
      assert.equal((await t.heartbeat.status({ now: T1 + 20_001 })).event, "missing", "event never came");

      t.clock.set(T1 + 10_000);
      const [event] = await t.jobs(HEARTBEAT_EVENT_JOB);
      await t.settled(event!.id);
      const ok = await t.heartbeat.status({ now: T1 + 30_000 });
      assert.equal(ok.status, "ok", ok.reason);
      assert.deepEqual(
        {
          timed: ok.timed,
          event: ok.event,
          latenessMs: ok.lastTimed?.latenessMs,
          delayMs: ok.lastEvent?.delayMs,
        },
        { timed: "ok", event: "ok", latenessMs: 0, delayMs: 10_000 },
      );
      assert.equal(ok.lastEvent?.timedJobId, timed!.id);
      assert.equal((await t.heartbeat.status({ now: T1 + 65_000 })).status, "ok");
      assert.equal((await t.heartbeat.status({ now: T1 + 65_001 })).status, "late");
      assert.equal((await t.heartbeat.status({ now: T1 + 125_000 })).status, "late");
      assert.equal((await t.heartbeat.status({ now: T1 + 125_001 })).status, "missing");
      assert.equal((await t.heartbeat.status({ now: T1 + 65_001, graceMs: 10_000 })).status, "ok");
    } finally {
      await t.cleanup();
    }
  });
});
