import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertOneLineError, cleanEnv, runCli as tickflow } from "../helpers/cli.ts";
import { tempDir } from "../helpers/sqlite.ts";

/**
 * A new user's session, end to end, through the real binary in an empty folder:
 * init → new flow → migrate → trigger --wait → runs, then the listings, the generated test and the
 * errors. Generated files import tickflow from this checkout (`--import-from`), since the package
 * is not installed in the temp folder.
 */

const INDEX = resolve("src/index.ts");
const UNREACHABLE = "postgres://nobody@127.0.0.1:1/x";

describe("tickflow CLI: a new project end to end", () => {
  let dir: string;
  let cleanup: () => void;
  let runId: string;

  before(() => {
    ({ dir, cleanup } = tempDir("tickflow-project-"));
  });
  after(() => cleanup());

  it("init writes the config, an example flow with its test, .env.example and package.json", () => {
    const result = tickflow(dir, ["init", "--import-from", INDEX]);
    assert.equal(result.status, 0, result.stderr);
    for (const file of [
      "tickflow.config.ts",
      "flows/example.ts",
      "flows/example.test.ts",
      ".env.example",
      "package.json",
    ]) {
      assert.ok(existsSync(join(dir, file)), file);
      assert.match(result.stdout, new RegExp(`wrote ${file.replace(".", "\\.")}`));
    }
    assert.equal(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type, "module");
    assert.match(
      readFileSync(join(dir, ".env.example"), "utf8"),
      /^# TICKFLOW_DATABASE_URL=sqlite:\.\/tickflow\.db$/m,
    );
  });

  it("new flow nightly-export writes the flow and its test", () => {
    const result = tickflow(dir, ["new", "flow", "nightly-export", "--import-from", INDEX]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /wrote flows\/nightly-export\.ts/);
    assert.match(result.stdout, /wrote flows\/nightly-export\.test\.ts/);
    const flow = readFileSync(join(dir, "flows/nightly-export.ts"), "utf8");
    assert.match(flow, /name: "nightly-export"/);
    assert.match(flow, /queue: "default"/);
    assert.match(flow, /retries: 2/);
    assert.match(flow, /\/\/ schedule: /);
  });

  it("migrate creates the SQLite database named by the default config", () => {
    const dry = tickflow(dir, ["migrate", "--dry-run"]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /^pending 0001_initial$/m);
    const result = tickflow(dir, ["migrate"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^applied 0001_initial$/m);
    assert.match(result.stdout, /^schema at version \d+$/m);
    assert.ok(existsSync(join(dir, "tickflow.db")));
  });

  it("trigger nightly-export --wait prints the run id, runs it here, and exits 0 when it succeeds", () => {
    const result = tickflow(dir, ["trigger", "nightly-export", "--wait"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^\d+\n$/);
    runId = result.stdout.trim();
    // Not a TTY: no progress display (its carriage returns and escape codes).
    assert.ok(!result.stderr.includes("\r") && !result.stderr.includes("\u001b[K"), result.stderr);
  });

  it("runs --json shows the run: success", () => {
    const result = tickflow(dir, ["runs", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const runs = JSON.parse(result.stdout) as Record<string, unknown>[];
    const run = runs.find((r) => r.id === runId);
    assert.ok(run, result.stdout);
    assert.equal(run.flow, "nightly-export");
    assert.equal(run.status, "success");
    assert.equal(run.source, "manual");
    assert.equal(run.attempt, 1);
    assert.equal(typeof run.durationMs, "number");
    assert.deepEqual(Object.keys(run).sort(), [
      "attempt",
      "createdAt",
      "durationMs",
      "endedAt",
      "errorMessage",
      "errorStack",
      "flow",
      "id",
      "jobId",
      "source",
      "startedAt",
      "status",
    ]);
    const filtered = tickflow(dir, ["runs", "--flow", "nightly-export", "--status", "failed", "--json"]);
    assert.deepEqual(JSON.parse(filtered.stdout), []);
    const table = tickflow(dir, ["runs", "--limit", "1"]);
    assert.match(table.stdout, /^ID\s+FLOW\s+STATUS/m);
    assert.match(table.stdout, new RegExp(`^${runId}\\s+nightly-export\\s+success\\s+manual`, "m"));
  });

  it("flows --json: each stored flow with schedule, queue, last run, next run and stats", () => {
    const result = tickflow(dir, ["flows", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const flows = JSON.parse(result.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      flows.map((f) => f.name),
      ["nightly-export"],
    );
    const flow = flows[0]!;
    assert.deepEqual(Object.keys(flow).sort(), [
      "activeRun",
      "enabled",
      "lastRunAt",
      "lastRunStatus",
      "name",
      "nextRunAt",
      "queue",
      "removedAt",
      "retries",
      "schedule",
      "stats",
    ]);
    assert.equal(flow.enabled, true);
    assert.equal(flow.queue, "default");
    assert.equal(flow.retries, 2);
    assert.equal(flow.schedule, null);
    assert.equal(flow.lastRunStatus, "success");
    assert.equal(flow.activeRun, null);
    assert.equal((flow.stats as { runs: number; successRate: number }).successRate, 1);
    const table = tickflow(dir, ["flows"]);
    assert.match(table.stdout, /^nightly-export\s+yes\s+manual\s+default\s+2\s+\S+\s+success/m);
  });

  it("status --json: store, schedules, queues, flows, heartbeat and monitors", () => {
    const result = tickflow(dir, ["status", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const status = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(status).sort(), [
      "checkedAt",
      "codeVersions",
      "flows",
      "heartbeat",
      "monitors",
      "queues",
      "schedules",
      "store",
    ]);
    assert.equal(status.store.dialect, "sqlite");
    assert.equal(typeof status.schedules.health.ok, "number", "schedule health counts in the vocabulary");
    assert.equal(status.store.database, "sqlite:./tickflow.db");
    assert.equal(status.store.schemaVersion, status.store.latestVersion);
    assert.deepEqual(status.store.pendingMigrations, []);
    assert.deepEqual(Object.keys(status.schedules).sort(), [
      "attention",
      "broken",
      "due",
      "dueSchedules",
      "health",
      "nextFireAt",
      "overdue",
      "paused",
      "runtime",
      "total",
    ]);
    const queue = status.queues.find((q: { queue: string }) => q.queue === "default");
    assert.equal(queue.states.succeeded, 1);
    assert.equal(queue.states.available, 0);
    assert.equal(status.flows.total, 1);
    assert.equal(status.heartbeat.enabled, false);
    assert.deepEqual(status.monitors, []);
    const table = tickflow(dir, ["status"]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^store\s+sqlite sqlite:\.\/tickflow\.db$/m);
    assert.match(table.stdout, /^heartbeat\s+off/m);
  });

  it("status --check validates the configuration and prints warnings; errors exit non-zero", () => {
    const ok = tickflow(dir, ["status", "--check"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^warning: http: no token \(TICKFLOW_TOKEN\)/m);
    assert.match(ok.stdout, /^configuration OK \(1 warning\)$/m);
    const bad = tickflow(dir, ["status", "--check", "--json"], {
      TICKFLOW_CONCURRENCY: "lots",
      TICKFLOW_DATABASE_URL: "mysql://x",
    });
    assert.equal(bad.status, 1);
    const report = JSON.parse(bad.stdout);
    assert.equal(report.ok, false);
    assert.ok(
      report.errors.some((e: string) => e.startsWith("TICKFLOW_CONCURRENCY:")),
      bad.stdout,
    );
    assert.ok(
      report.errors.some((e: string) => e.startsWith("TICKFLOW_DATABASE_URL:")),
      bad.stdout,
    );
  });

  it("the generated tests pass as generated", () => {
    const result = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--test",
        // TAP on every Node (24 prints its spec reporter by default even to a pipe).
        "--test-reporter=tap",
        join(dir, "flows/nightly-export.test.ts"),
        join(dir, "flows/example.test.ts"),
      ],
      { encoding: "utf8", env: cleanEnv(), timeout: 60_000 },
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^# pass 2$/m);
  });

  it("a failing flow: trigger --wait follows its retries and exits non-zero with the error", () => {
    assert.equal(tickflow(dir, ["new", "flow", "boom", "--retries", "1", "--import-from", INDEX]).status, 0);
    const file = join(dir, "flows/boom.ts");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("// Your work here.", 'throw new Error("upstream said no"); //'),
    );
    const result = tickflow(dir, ["trigger", "boom", "--wait"], { LOG_LEVEL: "silent" });
    assertOneLineError(result, /flow "boom" failed: run \d+ \(attempt 2 of 2\): upstream said no/);
    const runs = JSON.parse(tickflow(dir, ["runs", "--flow", "boom", "--json"]).stdout) as {
      status: string;
    }[];
    assert.deepEqual(
      runs.map((r) => r.status),
      ["failed", "failed"],
    );
  });

  it("errors are one clear line and a non-zero exit", () => {
    assertOneLineError(
      tickflow(dir, ["trigger", "nope"]),
      /unknown flow "nope".*known: boom, example, nightly-export/,
    );
    assertOneLineError(tickflow(dir, ["new", "flow", "bad name"]), /invalid flow name "bad name"/);
    assertOneLineError(tickflow(dir, ["new", "flow", "_hidden"]), /invalid flow name "_hidden"/);
    assertOneLineError(
      tickflow(dir, ["new", "flow", "nightly-export"]),
      /flows\/nightly-export\.ts, flows\/nightly-export\.test\.ts already exist: nothing was written \(--force overwrites\)/,
    );
    assertOneLineError(tickflow(dir, ["init"]), /tickflow\.config\.ts, .* already exist/);
    assertOneLineError(tickflow(dir, ["runs", "--status", "done"]), /--status: "done" is not a run status/);
    assertOneLineError(tickflow(dir, ["runs", "--flow", "nope"]), /unknown flow "nope"/);
    for (const args of [["runs"], ["flows"], ["status"], ["migrate"], ["trigger", "nightly-export"]]) {
      assertOneLineError(
        tickflow(dir, args, { TICKFLOW_DATABASE_URL: UNREACHABLE }),
        /cannot reach the database.*ECONNREFUSED/,
      );
    }
    const check = tickflow(dir, ["status", "--check"], { TICKFLOW_DATABASE_URL: UNREACHABLE });
    assert.equal(check.status, 1);
    assert.match(check.stdout, /^error: cannot reach the database/m);
  });

  it("--force overwrites generated files", () => {
    const result = tickflow(dir, [
      "new",
      "flow",
      "nightly-export",
      "--force",
      "--queue",
      "etl",
      "--import-from",
      INDEX,
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(readFileSync(join(dir, "flows/nightly-export.ts"), "utf8"), /queue: "etl"/);
  });
});
