import assert from "node:assert/strict";
import type { SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { defineSchedule } from "../../src/runtime/schedules.ts";
import { createTickflow } from "../../src/tickflow.ts";
import { runCli as run } from "../helpers/cli.ts";
import { tempDir } from "../helpers/sqlite.ts";

/** The CLI's commands agree: list options, unknown names, flag names in errors, read-only commands. */

const INDEX = resolve("src/index.ts");

function assertOneLineError(result: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.equal(result.status, 1, `expected exit 1; stdout: ${result.stdout} stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
}

describe("tickflow CLI consistency", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("tickflow-cli-"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, "tickflow.config.ts"),
      `import { defineConfig } from ${JSON.stringify(INDEX)};\nexport default defineConfig({});\n`,
    );
  });
  after(() => cleanup());

  it("--version and -V print the package version", () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const result = run(dir, [flag]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.trim(), version);
    }
  });

  it("read-only commands in an empty folder say there is no database and create none", () => {
    for (const command of [["status"], ["schedules"], ["runs"], ["flows"], ["schedules", "ticks", "x"]]) {
      const result = run(dir, command);
      assertOneLineError(
        result,
        /^tickflow: no database at sqlite:\.\/tickflow\.db .*tickflow start or tickflow migrate creates it$/,
      );
      assert.equal(existsSync(join(dir, "tickflow.db")), false, `${command.join(" ")} created tickflow.db`);
    }
    const check = run(dir, ["status", "--check"]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout + check.stderr, /no database at/);
    assert.equal(existsSync(join(dir, "tickflow.db")), false);
  });

  it("worker --concurrency abc names the flag the user typed", () => {
    const result = run(dir, ["worker", "--concurrency", "abc"]);
    assertOneLineError(result, /--concurrency must be a positive integer, got "abc"/);
    assert.doesNotMatch(result.stderr, /TICKFLOW_CONCURRENCY/);
  });

  describe("with stored schedules", () => {
    let cwd: string;
    before(async () => {
      cwd = join(dir, "stored");
      mkdirSync(cwd);
      writeFileSync(join(cwd, "package.json"), '{ "type": "module" }\n');
      writeFileSync(
        join(cwd, "tickflow.config.ts"),
        `import { defineConfig } from ${JSON.stringify(INDEX)};\nexport default defineConfig({});\n`,
      );
      const job = defineJob("berlin.job", async () => {});
      const tf = await createTickflow({
        databaseUrl: `sqlite:${join(cwd, "tickflow.db")}`,
        jobs: [job as never],
        schedules: [defineSchedule({ key: "berlin", job, cron: "30 2 * * *", timezone: "Europe/Berlin" })],
      });
      await tf.start({ worker: false, scheduler: false, syncSchedules: true });
      await tf.stop();
    });

    it("schedules ticks takes -n like runs does", () => {
      const result = run(cwd, ["schedules", "ticks", "berlin", "-n", "5"]);
      assert.equal(result.status, 0, result.stderr);
    });

    it("an unknown schedule exits 1 with one line in ticks, preview, pause and resume", () => {
      for (const command of ["ticks", "preview", "pause", "resume"]) {
        assertOneLineError(
          run(cwd, ["schedules", command, "nosuch"]),
          /unknown schedule "nosuch"|schedule "nosuch"/,
        );
      }
    });

    it("preview prints the schedule's zone beside UTC, -n as everywhere", () => {
      const result = run(cwd, ["schedules", "preview", "berlin", "-n", "2"]);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split("\n");
      assert.equal(lines.length, 2);
      for (const line of lines) {
        assert.match(
          line,
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z {2}\d{4}-\d\d-\d\d 02:30:00 GMT\+0[12]:00 Europe\/Berlin$/,
        );
      }
    });
  });
});
