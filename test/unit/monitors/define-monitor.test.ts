import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../../../src/config/schema.ts";
import { ConfigError, InvalidOptionError } from "../../../src/errors.ts";
import { TickflowEvents } from "../../../src/events.ts";
import { defineMonitor, type MonitorOptions } from "../../../src/monitors/define-monitor.ts";
import { runCheck } from "../../../src/monitors/run-check.ts";
import { subscribeLogs } from "../../../src/observability/log-subscriber.ts";
import { RecordingLogger } from "../jobs/recording-logger.ts";

const url = "http://127.0.0.1:8080/health";

describe("defineMonitor", () => {
  it("needs only a name and a url; defaults: 30s, 5s, 2 up, 3 down, queue monitors, no gates", () => {
    const m = defineMonitor({ name: "api", url });
    assert.equal(m.kind, "monitor");
    assert.equal(m.jobType, "monitor.api");
    assert.equal(m.scheduleKey, "monitor.api");
    assert.deepEqual(
      [m.intervalMs, m.timeoutMs, m.riseAfter, m.fallAfter, m.queue, m.gates, m.gateUnknown],
      [30_000, 5_000, 2, 3, "monitors", [], false],
    );
    assert.equal(m.target, "GET http://127.0.0.1:8080/health");
    assert.equal(defineMonitor(m), m, "a definition passes through");
  });

  it("takes a check function, durations as text or ms, thresholds, gates and HTTP options", () => {
    const m = defineMonitor({
      name: "db",
      check: async () => undefined,
      interval: 1_000,
      timeout: "250ms",
      riseAfter: 1,
      fallAfter: 5,
      gates: ["payments", "payments", "mail"],
      gateUnknown: true,
      queue: "liveness",
    });
    assert.deepEqual(
      [m.intervalMs, m.timeoutMs, m.riseAfter, m.fallAfter, m.queue, m.gates, m.gateUnknown, m.target],
      [1_000, 250, 1, 5, "liveness", ["payments", "mail"], true, "check()"],
    );
    const h = defineMonitor({
      name: "h",
      url: "https://user:secret@example.com/x",
      method: "HEAD",
      expectStatus: [200, 204],
    });
    assert.equal(h.target, "HEAD https://example.com/x", "credentials are not shown");
  });

  const rejects: [string, MonitorOptions, RegExp][] = [
    ["a negative interval", { name: "api", url, interval: -5 }, /monitor "api": interval: -5 is not/],
    [
      "a negative interval as text",
      { name: "api", url, interval: "-5s" },
      /monitor "api": interval: "-5s" is not a duration/,
    ],
    ["a zero interval", { name: "api", url, interval: 0 }, /monitor "api": interval must be at least 100ms/],
    [
      "a timeout equal to the interval",
      { name: "api", url, interval: "5s", timeout: "5s" },
      /monitor "api": timeout \(5s\) must be shorter than interval \(5s\)/,
    ],
    [
      "a timeout longer than the interval",
      { name: "api", url, interval: "1s", timeout: "2s" },
      /monitor "api": timeout \(2s\) must be shorter than interval \(1s\)/,
    ],
    ["a zero timeout", { name: "api", url, timeout: 0 }, /monitor "api": timeout must be greater than 0/],
    [
      "riseAfter 0",
      { name: "api", url, riseAfter: 0 },
      /monitor "api": riseAfter must be an integer ≥ 1, got 0/,
    ],
    [
      "fallAfter -1",
      { name: "api", url, fallAfter: -1 },
      /monitor "api": fallAfter must be an integer ≥ 1, got -1/,
    ],
    [
      "fallAfter 1.5",
      { name: "api", url, fallAfter: 1.5 },
      /monitor "api": fallAfter must be an integer ≥ 1, got 1.5/,
    ],
    ["a bad URL", { name: "api", url: "not a url" }, /monitor "api": url "not a url" is not a valid URL/],
    [
      "a non-HTTP URL",
      { name: "api", url: "ftp://example.com/x" },
      /monitor "api": url "ftp:\/\/example.com\/x" must use http: or https:/,
    ],
    ["no url and no check", { name: "api" }, /monitor "api": url is required/],
    [
      "both url and check",
      { name: "api", url, check: () => true },
      /monitor "api": give url or check, not both/,
    ],
    ["a bad name", { name: "my api", url }, /monitor "my api": name must be 1-56 letters/],
    [
      "a bad gate",
      { name: "api", url, gates: ["ok", "not ok"] },
      /monitor "api": gates: "not ok" is not a valid queue name/,
    ],
    [
      "gating its own queue",
      { name: "api", url, gates: ["monitors"] },
      /monitor "api": gates must not include the monitor's own queue "monitors"/,
    ],
    [
      "a bad status",
      { name: "api", url, expectStatus: 42 },
      /monitor "api": expectStatus must be HTTP status codes/,
    ],
    [
      "a misspelt option",
      { name: "api", url, fallafter: 2 } as unknown as MonitorOptions,
      /monitor "api": unknown option "fallafter" \(did you mean "fallAfter"\?\)/,
    ],
    [
      "a typo that is more than a case slip",
      { name: "api", url, intervl: "1m" } as unknown as MonitorOptions,
      /monitor "api": unknown option "intervl" \(did you mean "interval"\?\)/,
    ],
    [
      "a timeout past what a timer holds",
      { name: "api", url, interval: "60d", timeout: "30d" },
      /monitor "api": timeout: "30d" is too long: at most 2147483647ms/,
    ],
  ];
  for (const [what, options, message] of rejects) {
    it(`rejects ${what}, naming the monitor and the field`, () => {
      assert.throws(
        () => defineMonitor(options),
        (error: Error) => {
          assert.ok(error instanceof InvalidOptionError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it("reports every problem at once", () => {
    assert.throws(
      () => defineMonitor({ name: "api", url: "nope", interval: -1, riseAfter: 0 }),
      /interval: -1 .*; riseAfter must .*; url "nope"/,
    );
  });
});

describe("monitors in the config file", () => {
  it("accepts defineMonitor results and plain { name, url } objects", () => {
    const config = validateConfig({
      monitors: [defineMonitor({ name: "a", url }), { name: "b", url, gates: ["payments"] }],
    });
    assert.deepEqual(
      config.monitors.map((m) => [m.name, m.kind, m.gates]),
      [
        ["a", "monitor", []],
        ["b", "monitor", ["payments"]],
      ],
    );
    assert.deepEqual(validateConfig({}).monitors, []);
  });

  it("rejects a bad monitor with a ConfigError naming the entry, the monitor and the field", () => {
    assert.throws(
      () =>
        validateConfig({
          monitors: [
            { name: "ok", url },
            { name: "api", url, interval: "5s", timeout: "10s" },
            { name: "web", url: "localhost:80" },
          ],
        }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'monitors.1: monitor "api": timeout (10s) must be shorter than interval (5s): a check must end before the next one is due',
          'monitors.2: monitor "web": url "localhost:80" must use http: or https:, not localhost:',
        ]);
        return true;
      },
    );
  });
});

describe("runCheck", () => {
  it("a resolving check is healthy, a throwing one or one returning false is not", async () => {
    const ok = await runCheck(async () => undefined, 1_000, new AbortController().signal);
    assert.equal(ok.kind === "result" && ok.ok, true);
    const failed = await runCheck(
      async () => {
        throw new Error("boom");
      },
      1_000,
      new AbortController().signal,
    );
    assert.equal(failed.kind === "result" && !failed.ok && failed.error.message, "boom");
    const falsy = defineMonitor({ name: "f", check: () => false });
    const result = await runCheck(falsy.check, 1_000, new AbortController().signal);
    assert.equal(result.kind === "result" && !result.ok && result.error.message, "check returned false");
  });

  it("a check that ignores its signal is abandoned at the timeout and counted as failed", async () => {
    let settle: (() => void) | undefined;
    const started = performance.now();
    const outcome = await runCheck(
      () => new Promise<void>((resolve) => (settle = resolve)),
      100,
      new AbortController().signal,
    );
    const took = performance.now() - started;
    assert.equal(outcome.kind, "result");
    assert.equal(outcome.kind === "result" && !outcome.ok && outcome.error.message, "timed out after 100ms");
    assert.ok(took >= 95 && took < 400, `took ${took}ms`);
    settle?.(); // a late settle goes nowhere
  });

  it("a check that honours its signal sees it aborted at the timeout", async () => {
    let seen: AbortSignal | undefined;
    const outcome = await runCheck(
      (signal) =>
        new Promise<void>((_, reject) => {
          seen = signal;
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
      50,
      new AbortController().signal,
    );
    assert.equal(seen?.aborted, true);
    assert.equal(outcome.kind === "result" && !outcome.ok && outcome.error.message, "timed out after 50ms");
  });

  it("an abort from outside (shutdown) is not a result: the check is not counted", async () => {
    const outside = new AbortController();
    const pending = runCheck(() => new Promise(() => undefined), 5_000, outside.signal);
    outside.abort(new Error("stopping"));
    const outcome = await pending;
    assert.equal(outcome.kind, "aborted");
    assert.equal(outcome.kind === "aborted" && outcome.error.message, "stopping");
  });
});

describe("monitor transition logs", () => {
  it("→ OFFLINE at warn with the last error and closed queues, → ONLINE at info", () => {
    const events = new TickflowEvents();
    const logger = new RecordingLogger();
    const off = subscribeLogs(events, logger);
    const base = { monitor: "bank", seq: 3, at: 0, gates: ["payments"] };
    events.emit("monitor:transition", {
      ...base,
      from: "ONLINE",
      to: "OFFLINE",
      successes: 0,
      failures: 3,
      error: "HTTP 503 (expected 2xx)",
      closedQueues: ["payments"],
    });
    events.emit("monitor:transition", {
      ...base,
      from: "OFFLINE",
      to: "ONLINE",
      successes: 2,
      failures: 0,
      error: null,
      closedQueues: [],
    });
    off();
    assert.deepEqual(
      logger.entries.map((e) => [e.level, e.msg]),
      [
        [
          "warn",
          "monitor bank is OFFLINE after 3 consecutive failed checks (last: HTTP 503 (expected 2xx)); queues payments closed",
        ],
        ["info", "monitor bank is ONLINE after 2 consecutive successful checks; queues payments open"],
      ],
    );
    assert.equal(logger.entries[0]?.fields.monitor, "bank");
  });
});
