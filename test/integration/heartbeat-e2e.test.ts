import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validate, version } from "uuid";
import { HEARTBEAT_CRON, HEARTBEAT_SCHEDULE_KEY, heartbeatStatus } from "../../src/jobs/heartbeat.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

interface LogLine {
  level: number;
  time: number;
  msg: string;
  job?: string;
  jobId?: string;
}

/** The JSON log lines the process has written so far (anything else is skipped). */
function logLines(output: string): LogLine[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return []; // a line still being written
    }
  });
}

const TIMED = /^Heartbeat \(timed\): UUID=(\S+)$/;
const EVENT = /^Heartbeat \(event\): UUID=(\S+)$/;
const INFO = 30;

describe("heartbeat end to end (real process, real time)", () => {
  it("tickflow start with ENABLE_HEARTBEAT=1: a timed beat at a minute boundary, its event 10 s later with the same UUID, pair health ok", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const service = spawnTickflow(["start", "-c", "test/fixtures/heartbeat.config.ts"], {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      ENABLE_HEARTBEAT: "1",
    });
    const alive = () => {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        throw new Error(`tickflow exited early:\n${service.output()}`);
      }
    };
    let store: SqliteStore | undefined;
    try {
      await waitFor(
        () => {
          alive();
          return service.output().includes("tickflow start started");
        },
        "the service to start",
        15_000,
      );
      // The first minute boundary is up to 60 s away, and its event 10 s after it: ≤ ~72 s.
      const pair = await waitFor(
        () => {
          alive();
          const lines = logLines(service.output());
          for (const timed of lines.filter((l) => TIMED.test(l.msg))) {
            const uuid = TIMED.exec(timed.msg)![1]!;
            const event = lines.find((l) => EVENT.exec(l.msg)?.[1] === uuid);
            if (event) return { uuid, timed, event };
          }
          return null;
        },
        "a timed heartbeat followed by its event",
        80_000,
        200,
      );
      const { uuid, timed, event } = pair;
      assert.ok(validate(uuid) && version(uuid) === 1, `${uuid} is a UUIDv1`);
      assert.equal(timed.level, INFO);
      assert.equal(event.level, INFO);
      assert.equal(timed.job, "heartbeat.timed");
      assert.equal(event.job, "heartbeat.event");
      assert.equal(timed.msg, `Heartbeat (timed): UUID=${uuid}`);
      assert.equal(event.msg, `Heartbeat (event): UUID=${uuid}`);
      const intoMinute = timed.time % 60_000;
      assert.ok(intoMinute < 5_000, `the timed beat ran at a minute boundary (+${intoMinute}ms)`);
      const gap = event.time - timed.time;
      assert.ok(gap >= 10_000 && gap < 15_000, `the event followed ${gap}ms later`);

      store = new SqliteStore(file);
      const reader = new Tickflow(store, {}, false);
      const schedule = await store.queries.getSchedule(HEARTBEAT_SCHEDULE_KEY);
      assert.deepEqual(schedule?.trigger, { kind: "cron", expression: HEARTBEAT_CRON, timezone: "UTC" });
      // The event's run row is written when it finishes, just after its log line.
      const status = await waitFor(
        async () => {
          const s = await heartbeatStatus(reader);
          return s.status === "ok" && s.lastEvent?.uuid === uuid ? s : null;
        },
        "pair health ok",
        5_000,
        50,
      );
      assert.equal(status.lastTimed?.uuid, uuid);
      assert.ok(status.lastTimed!.latenessMs < 5_000);
      assert.ok(status.lastEvent!.delayMs >= 10_000 && status.lastEvent!.delayMs < 15_000);
      assert.equal(service.output().includes('"level":50'), false, "no error was logged");

      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
    } finally {
      service.child.kill("SIGKILL");
      await service.exited;
      await store?.close();
      cleanup();
    }
  });
});
