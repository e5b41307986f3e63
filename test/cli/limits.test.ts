import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { limitedJob } from "../fixtures/limits-jobs.ts";
import { tempDir } from "../helpers/sqlite.ts";

function tickflowCli(args: string[], databaseUrl: string) {
  return spawnSync(process.execPath, ["bin/tickflow.js", ...args], {
    env: {
      ...process.env,
      TICKFLOW_DATABASE_URL: databaseUrl,
      TICKFLOW_CONFIG: "test/fixtures/limits.config.ts",
    },
    encoding: "utf8",
  });
}

describe("tickflow limits / types (CLI)", () => {
  it("shows the config's limits with their waiting jobs, and disables and enables a type", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "t.db");
    const store = new SqliteStore(file);
    const tf = new Tickflow(store, { jobs: [limitedJob as never] }, true);
    try {
      await tf.migrate();
      await tf.enqueueMany(
        ["a", "b", "c"].map((key) => ({
          type: limitedJob,
          payload: {},
          options: { queue: "tenants", concurrencyKey: key },
        })),
      );
      const url = `sqlite:${file}`;
      const limits = tickflowCli(["limits", "--json"], url);
      assert.equal(limits.status, 0, limits.stderr);
      const [usage] = JSON.parse(limits.stdout);
      assert.deepEqual(
        [usage.name, usage.concurrency, usage.perKey, usage.waiting],
        ["queue:tenants", 2, 1, 3],
      );
      assert.match(tickflowCli(["limits"], url).stdout, /queue:tenants .*2 at once, 1 per key/);

      const off = tickflowCli(["types", "disable", "fixture.limited"], url);
      assert.equal(off.status, 0, off.stderr);
      assert.match(off.stdout, /fixture.limited disabled/);
      assert.deepEqual(
        (await tf.limits.disabledTypes()).map((t) => t.type),
        ["fixture.limited"],
      );
      assert.match(tickflowCli(["types"], url).stdout, /fixture.limited/);
      assert.match(
        tickflowCli(["types", "enable", "fixture.limited"], url).stdout,
        /fixture.limited enabled/,
      );
      assert.deepEqual(await tf.limits.disabledTypes(), []);
      const bad = tickflowCli(["types", "disable", "no such"], url);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /invalid job type name/);
    } finally {
      await tf.stop();
      cleanup();
    }
  });
});
