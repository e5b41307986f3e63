import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/logger.ts";
import { createTickflow } from "../../src/tickflow.ts";
import { assertOneLineError, runCli as tickflow } from "../helpers/cli.ts";
import { FakeClock } from "../helpers/fake-clock.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

/**
 * What a new user meets on the first `tickflow start`: the shipped example, the lines that say
 * where to go, `start --help`, one-line startup errors that leave no database behind, and an
 * uncaught exception that stops the process gracefully.
 */

const INDEX = resolve("src/index.ts");

/** A folder for a project: an ES-module package, as `tickflow init` leaves it. */
function project(path: string, config: string): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "package.json"), '{ "type": "module" }\n');
  writeFileSync(join(path, "tickflow.config.ts"), config);
  return path;
}

describe("the shipped tickflow.config.ts", () => {
  it("example.tick's count survives a restart: two ticks, two processes, 'ran 2 time(s)'", async () => {
    const { dir, cleanup } = tempDir("tickflow-example-");
    try {
      const config = await loadConfig({
        cwd: resolve("."),
        env: { TICKFLOW_DATABASE_URL: `sqlite:${join(dir, "x.db")}` },
      });
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split("\n").filter(Boolean));
          done();
        },
      });
      const logger = createLogger({ level: "info", format: "json", destination: sink });
      const T = Date.UTC(2030, 0, 1, 12, 0, 0);
      const clock = new FakeClock(T);
      for (const step of [1, 2]) {
        const tf = await createTickflow({
          databaseUrl: config.database,
          jobs: config.jobs,
          schedules: config.schedules,
          logger,
          clock,
          pollIntervalMs: 20,
        });
        await tf.start();
        clock.set(T + step * 10_000 + 1);
        await waitFor(
          () => lines.some((l) => l.includes(`example schedule ran ${step} time(s)`)),
          `tick ${step}: ${lines.filter((l) => l.includes("example")).join("\n")}`,
          10_000,
        );
        await tf.stop();
      }
      assert.equal(
        lines.filter((l) => /"level":40/.test(l) && l.includes("example.tick")).length,
        0,
        "no warning about ctx.state on a job that is not stateful",
      );
    } finally {
      cleanup();
    }
  });
});

describe("tickflow start: the first run", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("tickflow-first-run-"));
    project(
      dir,
      `import { defineConfig } from ${JSON.stringify(INDEX)};\nexport default defineConfig({});\n`,
    );
  });
  after(() => cleanup());

  it("start --help lists the settings that matter and --no-scheduler", () => {
    const result = tickflow(dir, ["start", "--help"]);
    assert.equal(result.status, 0, result.stderr);
    for (const name of [
      "TICKFLOW_TOKEN",
      "ENABLE_HEARTBEAT",
      "TICKFLOW_PORT",
      "TICKFLOW_DATABASE_URL",
      "--no-scheduler",
    ]) {
      assert.match(result.stdout, new RegExp(name), `${name} in start --help`);
    }
  });

  it("prints where the dashboard and the API are and how to log in; stops on SIGTERM with exit 0", async () => {
    const service = spawnTickflow(["--config", join(dir, "tickflow.config.ts"), "start"], {
      TICKFLOW_DATABASE_URL: `sqlite:${join(dir, "run.db")}`,
      TICKFLOW_TOKEN: "first-run-token-0123456789",
      TICKFLOW_PORT: "0",
    });
    try {
      // The login line is written just after the dashboard line, but may arrive in a later chunk.
      await waitFor(
        () =>
          /dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard/.test(service.output()) &&
          /TICKFLOW_TOKEN/.test(service.output()),
        "dashboard and login lines",
        30_000,
      );
      assert.match(
        service.output(),
        /API: http:\/\/127\.0\.0\.1:\d+\/api\/v1 \(Authorization: Bearer <token>\)/,
      );
      assert.match(service.output(), /TICKFLOW_TOKEN/);
      assert.doesNotMatch(service.output(), /first-run-token/, "the token itself is never printed");
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
    } finally {
      service.child.kill("SIGKILL");
    }
  });

  it("a SQLite path in a missing folder is one line naming the setting and the fix", () => {
    for (const command of [["start"], ["migrate"]]) {
      const result = tickflow(dir, command, {
        TICKFLOW_DATABASE_URL: "sqlite:./no/such/folder/x.db",
        TICKFLOW_PORT: "0",
      });
      assertOneLineError(
        result,
        /TICKFLOW_DATABASE_URL \(database\): the folder \S+no\/such\/folder of .* does not exist: create it/,
      );
    }
  });

  describe("bad input at startup leaves no database file behind", () => {
    let blocker: Server;
    let takenPort: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
      takenPort = (blocker.address() as { port: number }).port;
    });
    after(() => blocker.close());

    const cases: [string, Record<string, string>, RegExp, string?][] = [
      [
        "a port in use",
        {},
        /port \d+ on 127\.0\.0\.1 is already in use \(TICKFLOW_PORT or http\.port\): stop/,
      ],
      [
        "a host that is not this machine's",
        { TICKFLOW_HOST: "no-such-host.invalid" },
        /TICKFLOW_HOST \(http\.host\) "no-such-host\.invalid" is not an address of this machine/,
      ],
      ["a missing flows folder", { TICKFLOW_FLOWS_DIR: "./no-flows-here" }, /no-flows-here/],
      ["a duplicate job type", {}, /twice|already registered|duplicate/i, "duplicate"],
    ];
    for (const [label, env, pattern, fixture] of cases) {
      it(label, () => {
        const config =
          fixture === "duplicate"
            ? `import { defineConfig, defineJob } from ${JSON.stringify(INDEX)};\nconst a = defineJob("same", async () => {});\nconst b = defineJob("same", async () => {});\nexport default defineConfig({ jobs: [a, b] });\n`
            : `import { defineConfig } from ${JSON.stringify(INDEX)};\nexport default defineConfig({});\n`;
        const cwd = project(join(dir, label.replace(/\W+/g, "-")), config);
        const port = label === "a port in use" ? String(takenPort) : "0";
        const result = tickflow(cwd, ["start"], { TICKFLOW_PORT: port, ...env });
        assertOneLineError(result, pattern);
        assert.doesNotMatch(result.stderr, /cannot reach the database/, "not blamed on the database");
        assert.equal(existsSync(join(cwd, "tickflow.db")), false, "no tickflow.db left behind");
        assert.equal(existsSync(join(cwd, "tickflow.db-wal")), false);
      });
    }
  });

  it("start --no-scheduler stores the schedules but fires none (an external cron drives)", async () => {
    const cwd = project(
      join(dir, "no-scheduler"),
      `import { defineConfig, defineJob, defineSchedule } from ${JSON.stringify(INDEX)};
const beat = defineJob("beat", async () => {});
export default defineConfig({ jobs: [beat], schedules: [defineSchedule({ key: "fast", job: beat, every: "200ms" })] });
`,
    );
    const service = spawnTickflow(["--config", join(cwd, "tickflow.config.ts"), "start", "--no-scheduler"], {
      TICKFLOW_DATABASE_URL: `sqlite:${join(cwd, "t.db")}`,
    });
    try {
      await waitFor(() => service.output().includes("tickflow start started"), "started", 30_000);
      await new Promise((r) => setTimeout(r, 1_500));
      service.child.kill("SIGTERM");
      assert.equal(await service.exited, 0);
    } finally {
      service.child.kill("SIGKILL");
    }
    const db = new Database(join(cwd, "t.db"), { readonly: true });
    try {
      assert.equal(
        (db.prepare("SELECT count(*) AS n FROM schedules WHERE id = 'fast'").get() as { n: number }).n,
        1,
      );
      assert.equal((db.prepare("SELECT count(*) AS n FROM schedule_ticks").get() as { n: number }).n, 0);
    } finally {
      db.close();
    }
  });

  it("an uncaught exception is logged, the process stops gracefully (leases released) and exits 1", async () => {
    const cwd = project(
      join(dir, "uncaught"),
      `import { defineConfig, defineJob, defineSchedule } from ${JSON.stringify(INDEX)};
const long = defineJob("long", (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)));
const bomb = defineJob("bomb", async () => { setTimeout(() => { throw new Error("boom outside any promise"); }, 1500); });
export default defineConfig({
  jobs: [long, bomb],
  schedules: [
    defineSchedule({ key: "long", job: long, at: Date.now() + 300 }),
    defineSchedule({ key: "bomb", job: bomb, at: Date.now() + 300 }),
  ],
});
`,
    );
    const service = spawnTickflow(["--config", join(cwd, "tickflow.config.ts"), "start"], {
      TICKFLOW_DATABASE_URL: `sqlite:${join(cwd, "u.db")}`,
      TICKFLOW_SHUTDOWN_GRACE: "200ms",
    });
    try {
      const code = await Promise.race([
        service.exited,
        new Promise((r) => setTimeout(() => r("still running after 90 s"), 90_000)),
      ]);
      assert.equal(code, 1, service.output());
    } finally {
      service.child.kill("SIGKILL");
    }
    assert.match(service.output(), /uncaught exception .*boom outside any promise/);
    assert.match(service.output(), /"msg":"stopped"/);
    const db = new Database(join(cwd, "u.db"), { readonly: true });
    try {
      const long = db.prepare("SELECT state FROM jobs WHERE type = 'long'").get() as { state: string };
      assert.equal(long.state, "available", "the running job's lease was released, not left to expire");
    } finally {
      db.close();
    }
  });
});
