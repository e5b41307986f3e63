import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ENV_KEYS, mergeEnv } from "../../../src/config/load.ts";
import { CONFIG_KEYS, type TickflowConfig } from "../../../src/config/schema.ts";
import { ConfigError } from "../../../src/errors.ts";

/** Runs mergeEnv and returns the ConfigError's problems; fails when it does not throw one. */
function problemsOf(file: Record<string, unknown>, env: NodeJS.ProcessEnv): readonly string[] {
  try {
    mergeEnv(file as TickflowConfig, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "INVALID_CONFIG");
    assert.equal(error.message, `invalid configuration: ${error.problems.join("; ")}`);
    return error.problems;
  }
  assert.fail("expected mergeEnv to throw a ConfigError");
}

describe("mergeEnv defaults", () => {
  const config = mergeEnv({}, {});
  const cases: [key: string, actual: unknown, expected: unknown][] = [
    ["database", config.database, "sqlite:./tickflow.db"],
    ["concurrency", config.concurrency, 10],
    ["queues", config.queues, undefined],
    ["leaseMs", config.leaseMs, 30_000],
    ["pollIntervalMs", config.pollIntervalMs, 1_000],
    ["shutdownGraceMs", config.shutdownGraceMs, 10_000],
    ["retentionMs", config.retentionMs, 7 * 86_400_000],
    ["log.level", config.log.level, "info"],
    ["heartbeat", config.heartbeat, false],
    ["jobs", config.jobs, []],
    ["schedules", config.schedules, []],
  ];
  for (const [key, actual, expected] of cases) {
    it(`${key} = ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(actual, expected);
    });
  }
});

describe("mergeEnv: values from the file, then the environment", () => {
  const file: TickflowConfig = {
    database: "sqlite:./file.db",
    concurrency: 5,
    queues: ["file"],
    lease: "45s",
    pollInterval: 250,
    shutdownGrace: "2s",
    retention: "1d",
    log: { level: "warn", format: "json" },
    scheduler: false,
  };

  it("the file alone", () => {
    const config = mergeEnv(file, {});
    assert.equal(config.database, "sqlite:./file.db");
    assert.equal(config.concurrency, 5);
    assert.deepEqual(config.queues, ["file"]);
    assert.equal(config.leaseMs, 45_000);
    assert.equal(config.pollIntervalMs, 250);
    assert.equal(config.shutdownGraceMs, 2_000);
    assert.equal(config.retentionMs, 86_400_000);
    assert.deepEqual(config.log, { level: "warn", format: "json" });
    assert.equal(config.scheduler, false);
    assert.equal(config.heartbeat, false, "only ENABLE_HEARTBEAT turns the heartbeat on");
  });

  const overrides: [
    env: NodeJS.ProcessEnv,
    pick: (c: ReturnType<typeof mergeEnv>) => unknown,
    expected: unknown,
  ][] = [
    [
      { TICKFLOW_DATABASE_URL: "postgres://app@db/tickflow" },
      (c) => c.database,
      "postgres://app@db/tickflow",
    ],
    [{ TICKFLOW_DATABASE_URL: " sqlite:/var/lib/t.db " }, (c) => c.database, "sqlite:/var/lib/t.db"],
    [{ TICKFLOW_CONCURRENCY: "20" }, (c) => c.concurrency, 20],
    [{ TICKFLOW_CONCURRENCY: " 3 " }, (c) => c.concurrency, 3],
    [{ TICKFLOW_PREFETCH: "0" }, (c) => c.prefetch, 0],
    [{ TICKFLOW_PREFETCH: "90" }, (c) => c.prefetch, 90],
    [{}, (c) => c.prefetch, undefined],
    [{ TICKFLOW_QUEUES: "a, b ,c" }, (c) => c.queues, ["a", "b", "c"]],
    [{ TICKFLOW_QUEUES: "only," }, (c) => c.queues, ["only"]],
    [{ TICKFLOW_LEASE: "2m" }, (c) => c.leaseMs, 120_000],
    [{ TICKFLOW_POLL_INTERVAL: "100ms" }, (c) => c.pollIntervalMs, 100],
    [{ TICKFLOW_SHUTDOWN_GRACE: "0s" }, (c) => c.shutdownGraceMs, 0],
    [{ TICKFLOW_RETENTION: "forever" }, (c) => c.retentionMs, null],
    [{ TICKFLOW_RETENTION: "30d" }, (c) => c.retentionMs, 30 * 86_400_000],
    [{ LOG_LEVEL: "DEBUG" }, (c) => c.log.level, "debug"],
    [{ LOG_FORMAT: "Pretty" }, (c) => c.log.format, "pretty"],
    [{ LOG_LEVEL: "error" }, (c) => c.log.format, "json"], // the file's format survives a level override
    [{ ENABLE_HEARTBEAT: "off" }, (c) => c.heartbeat, false],
    [{ ENABLE_HEARTBEAT: "" }, (c) => c.heartbeat, false], // set but empty disables
    [{ TICKFLOW_CONCURRENCY: "" }, (c) => c.concurrency, 5], // empty text variables are ignored
    [{ TICKFLOW_DATABASE_URL: "   " }, (c) => c.database, "sqlite:./file.db"],
  ];
  for (const [env, pick, expected] of overrides) {
    it(`${JSON.stringify(env)} wins over the file → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(pick(mergeEnv(file, env)), expected);
    });
  }

  it("ENABLE_HEARTBEAT=yes turns on a heartbeat the file leaves off", () => {
    assert.equal(mergeEnv({}, { ENABLE_HEARTBEAT: "yes" }).heartbeat, true);
    assert.equal(mergeEnv({}, { ENABLE_HEARTBEAT: "enabled" }).heartbeat, false);
  });

  it("does not modify the file config", () => {
    const before = structuredClone(file);
    mergeEnv(file, { LOG_LEVEL: "trace", TICKFLOW_CONCURRENCY: "99" });
    assert.deepEqual(file, before);
  });

  it("ignores unrelated environment variables", () => {
    assert.equal(
      mergeEnv({}, { PATH: "/usr/bin", CONCURRENCY: "99", TICKFLOW_UNKNOWN: "x" }).concurrency,
      10,
    );
  });
});

describe("mergeEnv rejects invalid values, naming the environment variable", () => {
  const cases: [env: NodeJS.ProcessEnv, problem: RegExp][] = [
    [{ TICKFLOW_CONCURRENCY: "abc" }, /^TICKFLOW_CONCURRENCY: .*expected number/],
    [{ TICKFLOW_CONCURRENCY: "0" }, /^TICKFLOW_CONCURRENCY: .*>=1/],
    [{ TICKFLOW_CONCURRENCY: "1001" }, /^TICKFLOW_CONCURRENCY: .*<=1000/],
    [{ TICKFLOW_CONCURRENCY: "2.5" }, /^TICKFLOW_CONCURRENCY: /],
    [{ TICKFLOW_CONCURRENCY: "-1" }, /^TICKFLOW_CONCURRENCY: /],
    [{ TICKFLOW_PREFETCH: "many" }, /^TICKFLOW_PREFETCH: .*expected number/],
    [{ TICKFLOW_PREFETCH: "-1" }, /^TICKFLOW_PREFETCH: /],
    [{ LOG_LEVEL: "verbose" }, /^LOG_LEVEL: .*"info"/],
    [{ LOG_FORMAT: "xml" }, /^LOG_FORMAT: /],
    [
      { TICKFLOW_DATABASE_URL: "mysql://x" },
      /^TICKFLOW_DATABASE_URL: use sqlite:<path> or postgres:\/\/user@host\/db$/,
    ],
    [{ TICKFLOW_DATABASE_URL: "sqlite:" }, /^TICKFLOW_DATABASE_URL: /],
    [{ TICKFLOW_LEASE: "abc" }, /^TICKFLOW_LEASE: "abc" is not a duration/],
    [{ TICKFLOW_LEASE: "500ms" }, /^TICKFLOW_LEASE: must be at least 1000ms$/],
    [{ TICKFLOW_POLL_INTERVAL: "5ms" }, /^TICKFLOW_POLL_INTERVAL: must be at least 10ms$/],
    [{ TICKFLOW_SHUTDOWN_GRACE: "-1s" }, /^TICKFLOW_SHUTDOWN_GRACE: "-1s" is not a duration/],
    [{ TICKFLOW_RETENTION: "30s" }, /^TICKFLOW_RETENTION: /],
    [{ TICKFLOW_QUEUES: "ok,bad queue" }, /^TICKFLOW_QUEUES: queue names use 1-64 letters/],
    [{ TICKFLOW_QUEUES: " , " }, /^TICKFLOW_QUEUES: /],
    [{ TICKFLOW_ALLOWED_IPS: " , " }, /^TICKFLOW_ALLOWED_IPS: the list has only blank entries/],
    [{ TICKFLOW_TRUSTED_PROXIES: "," }, /^TICKFLOW_TRUSTED_PROXIES: the list has only blank entries/],
    [
      { TICKFLOW_ALLOWED_IPS: "10.0.0.0/8,010.0.0.0/8" },
      /^TICKFLOW_ALLOWED_IPS: "010.0.0.0\/8" is not canonical IPv4/,
    ],
    [{ TICKFLOW_TRUSTED_PROXIES: "127.1" }, /^TICKFLOW_TRUSTED_PROXIES: "127.1" is not canonical IPv4/],
    [{ TICKFLOW_POLL_INTERVAL: "30d" }, /^TICKFLOW_POLL_INTERVAL: must be at most /],
    [{ TICKFLOW_LEASE: "30d" }, /^TICKFLOW_LEASE: must be at most /],
    [{ TICKFLOW_SHUTDOWN_GRACE: "30d" }, /^TICKFLOW_SHUTDOWN_GRACE: must be at most /],
  ];
  for (const [env, problem] of cases) {
    it(JSON.stringify(env), () => {
      const problems = problemsOf({}, env);
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0]!, problem);
    });
  }

  it("the environment is named even when the file had a valid value", () => {
    const problems = problemsOf({ concurrency: 4 }, { TICKFLOW_CONCURRENCY: "lots" });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^TICKFLOW_CONCURRENCY: /);
  });
});

describe("mergeEnv: duration variables take plain milliseconds, as docs/configuration.md says", () => {
  it("TICKFLOW_LEASE=30000, TICKFLOW_POLL_INTERVAL=250, TICKFLOW_SHUTDOWN_GRACE=0, retentions in ms", () => {
    const config = mergeEnv(
      {},
      {
        TICKFLOW_LEASE: "30000",
        TICKFLOW_POLL_INTERVAL: "250",
        TICKFLOW_SHUTDOWN_GRACE: "0",
        TICKFLOW_RETENTION: "86400000",
        TICKFLOW_FLOW_RUN_RETENTION: "3600000",
        TICKFLOW_RATE_LIMIT: "100/60000",
      },
    );
    assert.equal(config.leaseMs, 30_000);
    assert.equal(config.pollIntervalMs, 250);
    assert.equal(config.shutdownGraceMs, 0);
    assert.equal(config.retentionMs, 86_400_000);
    assert.equal(config.flowRunRetentionMs, 3_600_000);
    assert.deepEqual(config.http.rateLimit, { max: 100, windowMs: 60_000 });
  });

  it("a plain number below the minimum is named with the variable", () => {
    assert.deepEqual(problemsOf({}, { TICKFLOW_LEASE: "500" }), ["TICKFLOW_LEASE: must be at least 1000ms"]);
  });
});

describe("mergeEnv rejects invalid file values, naming the key", () => {
  const cases: [file: Record<string, unknown>, problem: RegExp][] = [
    [{ database: "mysql://x" }, /^database: use sqlite:<path>/],
    [{ concurrency: 0 }, /^concurrency: /],
    [{ concurrency: "10" }, /^concurrency: .*expected number/],
    [{ lease: "soon" }, /^lease: "soon" is not a duration/],
    [{ queues: [] }, /^queues: /],
    [{ queues: ["a/b"] }, /^queues\.0: queue names use/],
    [{ log: { level: "loud" } }, /^log\.level: /],
    [{ heartbeat: true }, /^heartbeat: .*ENABLE_HEARTBEAT=1 only/],
    [{ heartbeat: { grace: "5s" } }, /^heartbeat: .*ENABLE_HEARTBEAT=1 only/],
    [{ scheduler: "no" }, /^scheduler: /],
    [{ jobs: [{}] }, /^jobs\.0: expected defineJob\(…\) results$/],
    [{ schedules: ["nightly"] }, /^schedules\.0: expected defineSchedule\(…\) results$/],
  ];
  for (const [file, problem] of cases) {
    it(JSON.stringify(file), () => {
      const problems = problemsOf(file, {});
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0]!, problem);
    });
  }
});

describe("mergeEnv: unknown keys", () => {
  const cases: [key: string, expected: string][] = [
    ["concurency", 'unknown key "concurency" (did you mean "concurrency"?)'],
    ["databse", 'unknown key "databse" (did you mean "database"?)'],
    ["schedulr", 'unknown key "schedulr" (did you mean "scheduler"?)'],
    ["frobnicate", 'unknown key "frobnicate"'],
  ];
  for (const [key, expected] of cases) {
    it(key, () => {
      assert.deepEqual(problemsOf({ [key]: 1 }, {}), [expected]);
    });
  }

  it("an unknown key inside http.rateLimit gets a suggestion from its own keys", () => {
    const problems = problemsOf({ http: { rateLimit: { max: 5, windw: "1m" } } }, {});
    assert.ok(
      problems.includes('unknown key "http.rateLimit.windw" (did you mean "window"?)'),
      problems.join("; "),
    );
  });

  it("an unknown key inside log is named with its path", () => {
    const problems = problemsOf({ log: { colour: true } }, {});
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^unknown key "log\.colour"/);
  });
});

describe("mergeEnv reports several problems at once", () => {
  it("environment and file problems together, each named", () => {
    const problems = problemsOf(
      { concurency: 3, lease: "later" },
      { TICKFLOW_CONCURRENCY: "abc", LOG_LEVEL: "verbose", TICKFLOW_DATABASE_URL: "mysql://x" },
    );
    const sorted = [...problems].sort();
    assert.equal(sorted.length, 5, problems.join("\n"));
    assert.match(sorted[0]!, /^LOG_LEVEL: /);
    assert.match(sorted[1]!, /^TICKFLOW_CONCURRENCY: /);
    assert.match(sorted[2]!, /^TICKFLOW_DATABASE_URL: /);
    assert.match(sorted[3]!, /^lease: "later" is not a duration/);
    assert.equal(sorted[4]!, 'unknown key "concurency" (did you mean "concurrency"?)');
  });

  it("the message lists them all, separated by semicolons", () => {
    assert.throws(
      () => mergeEnv({}, { TICKFLOW_CONCURRENCY: "abc", LOG_LEVEL: "verbose" }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^invalid configuration: /);
        assert.match(error.message, /TICKFLOW_CONCURRENCY: /);
        assert.match(error.message, /LOG_LEVEL: /);
        assert.match(error.message, /; /);
        return true;
      },
    );
  });
});

describe("ENV_KEYS", () => {
  it("every environment variable sets a known config key", () => {
    for (const [name, key] of Object.entries(ENV_KEYS)) {
      assert.ok(CONFIG_KEYS.includes(key.split(".")[0]!), `${name} → ${key}`);
    }
  });
});
