import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { defineSchedule } from "../../src/runtime/schedules.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { planFor } from "../helpers/plan.ts";
import { tempDir } from "../helpers/sqlite.ts";

function tickflowCli(args: string[], databaseUrl: string) {
  return spawnSync(process.execPath, ["bin/tickflow.js", ...args], {
    env: {
      ...process.env,
      TICKFLOW_DATABASE_URL: databaseUrl,
      TICKFLOW_CONFIG: "test/fixtures/empty.config.ts",
    },
    encoding: "utf8",
  });
}

describe("tickflow schedules (CLI)", () => {
  it("lists stored schedules with next and last run, as a table and as JSON, and pauses one", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "t.db");
    const store = new SqliteStore(file);
    const T = Date.UTC(2030, 0, 1, 9, 0, 0);
    const job = defineJob("report", async () => {});
    const tf = new Tickflow(
      store,
      {
        jobs: [job as never],
        schedules: [defineSchedule({ key: "nightly", job, cron: "0 2 * * *" })],
        clock: new FakeClock(T),
      },
      true,
    );
    try {
      await store.migrate();
      await tf.syncSchedules();
      await store.schedules.fireDueSchedules({
        now: T + 86_400_000,
        limit: 10,
        plan: planFor(T + 86_400_000),
      });
      const table = tickflowCli(["schedules"], `sqlite:${file}`);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^KEY\s+HEALTH\s+JOB\s+TRIGGER/m);
      assert.match(
        table.stdout,
        /nightly\s+\w+\s+report\s+cron 0 2 \* \* \*\s+latest\s+no\s+2030-01-03T02:00:00.000Z\s+2030-01-02T02:00:00.000Z\s+fired \(misfire\)/,
      );
      const json = tickflowCli(["schedules", "--json"], `sqlite:${file}`);
      const rows = JSON.parse(json.stdout);
      assert.equal(rows[0].id, "nightly");
      assert.equal(rows[0].lastTick.decision, "fired");
      const paused = tickflowCli(["schedules", "pause", "nightly"], `sqlite:${file}`);
      assert.equal(paused.stdout.trim(), "nightly paused");
      assert.equal((await store.queries.getSchedule("nightly"))?.paused, true);
      const missing = tickflowCli(["schedules", "pause", "nope"], `sqlite:${file}`);
      assert.equal(missing.status, 1);
      assert.equal(missing.stderr.trim(), 'tickflow: schedule "nope" not found');
    } finally {
      await tf.stop();
      cleanup();
    }
  });
});
