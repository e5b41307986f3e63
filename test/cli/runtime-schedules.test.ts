import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { report, versions } from "../fixtures/runtime-schedules.config.ts";
import { assertOneLineError, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/sqlite.ts";

const CONFIG = join(process.cwd(), "test/fixtures/runtime-schedules.config.ts");

describe("tickflow schedules set | rm | diff (CLI)", () => {
  it("diffs code schedules without writing, and sets and removes runtime ones", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "t.db");
    const env = (version: "a" | "b") => ({
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_CONFIG: CONFIG,
      TICKFLOW_TEST_CODE_VERSION: version,
    });
    const cli = (args: string[], version: "a" | "b" = "a") => runCli(process.cwd(), args, env(version));
    const store = new SqliteStore(file);
    try {
      await store.migrate();
      let diff = cli(["schedules", "diff", "--exit-code"]);
      assert.equal(diff.status, 1, diff.stderr);
      assert.match(diff.stdout, /starting it makes it version 1, the newest/);
      assert.match(diff.stdout, /create\s+shared\s+cli\.report, every 1h/);
      assert.match(diff.stdout, /create\s+only-a/);
      assert.deepEqual(await store.queries.listSchedules(), [], "diff wrote nothing");

      await new Tickflow(store, { jobs: [report as never], schedules: versions.a }, false).syncSchedules();
      diff = cli(["schedules", "diff", "--exit-code"]);
      assert.equal(diff.status, 0, diff.stdout + diff.stderr);
      assert.match(diff.stdout, /no changes/);
      const status = cli(["status"]);
      assert.match(
        status.stdout,
        /^code {8}version 1 \([0-9a-f]{16}\) newest, reconciles: 2 code schedule\(s\)/m,
      );
      assert.equal(JSON.parse(cli(["status", "--json"]).stdout).codeVersions[0].schedules, 2);
      const json = JSON.parse(cli(["schedules", "diff", "--json"], "b").stdout);
      assert.deepEqual(
        [
          json.applies,
          json.create.map((c: { key: string }) => c.key),
          json.change,
          json.remove.map((r: { key: string }) => r.key),
        ],
        [true, ["only-b"], [{ key: "shared", fields: ["trigger"] }], ["only-a"]],
      );

      let out = cli([
        "schedules",
        "set",
        "acme",
        "--job",
        "cli.report",
        "--every",
        "5m",
        "--tenant",
        "acme",
        "--label",
        "plan=pro",
      ]);
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stdout.trim(), "acme created");
      out = cli([
        "schedules",
        "set",
        "acme",
        "--job",
        "cli.report",
        "--every",
        "10m",
        "--tenant",
        "acme",
        "--label",
        "plan=pro",
      ]);
      assert.equal(out.stdout.trim(), "acme updated (trigger)");
      const listed = JSON.parse(
        cli(["schedules", "--json", "--source", "runtime", "--label", "plan=pro"]).stdout,
      );
      assert.deepEqual(
        listed.map((s: { id: string; tenant: string }) => [s.id, s.tenant]),
        [["acme", "acme"]],
      );
      assert.match(cli(["schedules"]).stdout, /acme\s+never_ran\s+cli\.report\s+every 10m.*runtime/);

      assertOneLineError(
        cli([
          "schedules",
          "set",
          "x",
          "--job",
          "cli.report",
          "--cron",
          "0 9 * * *",
          "--timezone",
          "Mars/Base",
        ]),
        /unknown time zone "Mars\/Base"/,
      );
      assertOneLineError(
        cli(["schedules", "set", "x", "--job", "nope", "--every", "1m"]),
        /unknown job type "nope"/,
      );
      assertOneLineError(
        cli(["schedules", "set", "x", "--job", "cli.report", "--every", "1m", "--label", "plan"]),
        /--label must be name=value/,
      );
      assertOneLineError(
        cli(["schedules", "set", "shared", "--job", "cli.report", "--every", "1m"]),
        /"shared" is declared in code/,
      );
      assertOneLineError(cli(["schedules", "rm", "only-a"]), /declared in code/);
      assert.equal(await store.queries.getSchedule("x"), null);

      // A runtime schedule under a key the next code version declares: a conflict, not a takeover.
      cli(["schedules", "set", "only-b", "--job", "cli.report", "--every", "1m"]);
      diff = cli(["schedules", "diff"], "b");
      assert.match(diff.stdout, /conflict\s+only-b\s+stored as a runtime schedule/);

      out = cli(["schedules", "rm", "acme"]);
      assert.equal(out.stdout.trim(), "acme removed");
      assertOneLineError(cli(["schedules", "rm", "acme"]), /schedule "acme" not found/);
    } finally {
      await store.close();
      cleanup();
    }
  });
});
