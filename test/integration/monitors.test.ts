import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { tickflowFromConfig } from "../../src/cli/run-service.ts";
import { validateConfig } from "../../src/config/schema.ts";
import type { MonitorCheckEvent, MonitorTransitionEvent } from "../../src/events.ts";
import { silentLogger } from "../../src/logger.ts";
import { defineMonitor, type MonitorOptions } from "../../src/monitors/define-monitor.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { asJobs } from "../helpers/runtime.ts";
import { createTestSqliteStore, tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

/** Short real intervals: every check is a real scheduled job on a real store. */
const FAST = { interval: "200ms", timeout: "100ms" } as const;
/**
 * For the scripted upstream: every check must succeed against a healthy local server, so its
 * timeout leaves room for a cold first fetch on a loaded machine (100 ms was seen to time out).
 */
const SCRIPTED = { interval: "500ms", timeout: "300ms" } as const;

function tickflowOn(
  store: Store,
  monitors: MonitorOptions[],
  extra: Partial<ConstructorParameters<typeof Tickflow>[1]> = {},
) {
  return new Tickflow(store, { pollIntervalMs: 50, monitors, ...extra }, false);
}

function collect(tickflow: Tickflow) {
  const checks: MonitorCheckEvent[] = [];
  const transitions: MonitorTransitionEvent[] = [];
  tickflow.on("monitor:check", (e) => checks.push(e));
  tickflow.on("monitor:transition", (e) => transitions.push(e));
  return { checks, transitions };
}

type Mode = "ok" | "error" | "hang" | "reset" | "down";

/** A real upstream on 127.0.0.1 whose behaviour the test switches between checks. */
async function upstream() {
  let mode: Mode = "ok";
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (mode === "ok") res.writeHead(200).end("ok");
    else if (mode === "error") res.writeHead(500).end("boom");
    else if (mode === "hang") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
    } else req.socket.destroy(); // "reset": the connection closes with no response
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/health`,
    port,
    hangingCount: () => hanging.size,
    async set(next: Mode) {
      if (next === "down" && mode !== "down") await close();
      mode = next;
    },
    close: () => (mode === "down" ? Promise.resolve() : close()),
  };
}

describe("monitors: an HTTP upstream switched between 200, 500, hanging and closed", () => {
  it("changes state at the right check counts; a hanging upstream costs no more than the timeout", async () => {
    const h = await createTestSqliteStore();
    const up = await upstream();
    // The upstream's behaviour for check k (1-based): the seed's S,S,F,S,F,F,F,S,F,S,S, then more.
    const script: Mode[] = [
      "ok",
      "ok", // 2: ONLINE
      "error",
      "ok",
      "error",
      "error",
      "error", // 7: OFFLINE
      "ok",
      "hang",
      "ok",
      "ok", // 11: ONLINE
      "hang",
      "hang",
      "hang", // 14: OFFLINE, by timeouts alone
      "ok",
      "ok", // 16: ONLINE
      "reset",
      "down",
      "down", // 19: OFFLINE, connection reset then refused
    ];
    const tickflow = tickflowOn(h.store, [{ name: "api", url: up.url, ...SCRIPTED }]);
    const { checks, transitions } = collect(tickflow);
    const published: unknown[] = [];
    const onPublish = (message: unknown) => published.push(message);
    diagnostics.subscribe("tickflow:monitor:transition", onPublish);
    tickflow.on("monitor:check", (e) => {
      const next = script[e.seq];
      if (next) void up.set(next);
    });
    try {
      await tickflow.start();
      await waitFor(() => checks.length >= script.length, `${script.length} checks`, 40_000);
      await tickflow.stop();

      assert.deepEqual(
        checks.slice(0, script.length).map((c) => c.seq),
        script.map((_, i) => i + 1),
        "every check counted once, in order",
      );
      assert.deepEqual(
        transitions.map((t) => [t.seq, t.from, t.to, t.successes, t.failures]),
        [
          [2, "UNKNOWN", "ONLINE", 2, 0],
          [7, "ONLINE", "OFFLINE", 0, 3],
          [11, "OFFLINE", "ONLINE", 2, 0],
          [14, "ONLINE", "OFFLINE", 0, 3],
          [16, "OFFLINE", "ONLINE", 2, 0],
          [19, "ONLINE", "OFFLINE", 0, 3],
        ],
      );
      assert.deepEqual(
        checks.slice(0, script.length).map((c) => c.ok),
        script.map((m) => m === "ok"),
      );
      const errorOf = (seq: number) => checks[seq - 1]!.error ?? "";
      assert.equal(errorOf(3), `GET ${up.url}: HTTP 500 (expected 2xx)`);
      assert.equal(errorOf(12), "timed out after 300ms");
      assert.match(errorOf(17), /fetch failed/);
      assert.match(errorOf(18), /ECONNREFUSED/);

      // A hanging upstream costs the timeout and no more: the request is aborted, its socket freed.
      for (const seq of [9, 12, 13, 14]) {
        const { durationMs } = checks[seq - 1]!;
        assert.ok(durationMs >= 295 && durationMs < 600, `hanging check ${seq} took ${durationMs}ms`);
      }
      assert.equal(up.hangingCount(), 0, "aborted requests left no hanging response behind");

      // Each check is a recorded attempt: outcome, duration, error; one attempt, never retried.
      const jobs = await h.store.queries.listJobs({ type: "monitor.api", limit: 100 });
      const runs = (await Promise.all(jobs.map((j) => h.store.queries.listJobRuns(j.id)))).flat();
      assert.ok(runs.length >= script.length);
      assert.ok(
        jobs.every(
          (j) => j.maxAttempts === 1 && j.queue === "monitors" && j.stateKey === "schedule:monitor.api",
        ),
      );
      const hung = runs.filter((r) => r.errorMessage === "timed out after 300ms");
      assert.equal(hung.length, 4);
      for (const run of hung) {
        assert.equal(run.outcome, "discarded");
        assert.ok(run.durationMs < 700, `the hanging check's job run took ${run.durationMs}ms`);
      }
      assert.ok(runs.filter((r) => r.outcome === "succeeded").length >= 8);

      // Stored with time, from, to and counters; emitted on diagnostics_channel too.
      const stored = (await tickflow.monitors.transitions("api")).reverse();
      assert.deepEqual(
        stored.map((t) => [t.seq, t.from, t.to, t.successes, t.failures]),
        transitions.map((t) => [t.seq, t.from, t.to, t.successes, t.failures]),
      );
      assert.deepEqual(
        stored.map((t) => t.at),
        transitions.map((t) => t.at),
      );
      assert.match(stored.at(-1)!.error ?? "", /ECONNREFUSED/);
      assert.deepEqual(
        published.map((p) => (p as MonitorTransitionEvent).seq),
        [2, 7, 11, 14, 16, 19],
      );

      const [status] = await tickflow.monitors.status();
      assert.equal(status?.name, "api");
      assert.equal(status?.state, "OFFLINE");
      assert.equal(status?.failures, 3);
      assert.equal(status?.checks, 19);
      assert.match(status?.lastCheck?.error ?? "", /ECONNREFUSED/);
      assert.equal(status?.lastTransition?.seq, 19);
      assert.equal(status?.target, `GET ${up.url}`);
    } finally {
      diagnostics.unsubscribe("tickflow:monitor:transition", onPublish);
      await tickflow.stop(0);
      await up.close();
      await h.cleanup();
    }
  });
});

describe("monitors: durable state", () => {
  it("counters survive a restart: two successes, restart, one more with riseAfter 3 → ONLINE", async () => {
    const h = await createTestSqliteStore();
    const monitor = { name: "db", check: async () => undefined, riseAfter: 3, ...FAST };
    const first = tickflowOn(h.store, [monitor]);
    const before = collect(first);
    let stopped: Promise<void> | undefined;
    first.on("monitor:check", (e) => {
      if (e.seq === 2) stopped = first.stop();
    });
    try {
      await first.start();
      await waitFor(() => stopped !== undefined, "two checks, then stop");
      await stopped;
      assert.deepEqual(
        before.checks.map((c) => [c.seq, c.state, c.successes]),
        [
          [1, "UNKNOWN", 1],
          [2, "UNKNOWN", 2],
        ],
      );
      assert.deepEqual(before.transitions, []);
      const saved = await h.store.queries.loadJobState("schedule:monitor.db");
      assert.deepEqual(
        { ...(saved as object), lastCheckAt: 0 },
        { v: 1, state: "UNKNOWN", successes: 2, failures: 0, checks: 2, lastCheckAt: 0 },
      );
      await h.store.close();

      // A new process: a fresh store on the same file.
      const second = tickflowOn(await h.openAnother(), [monitor]);
      const after = collect(second);
      await second.start();
      await waitFor(() => after.transitions.length > 0, "the ONLINE transition after the restart");
      await second.stop();
      assert.deepEqual(
        after.checks[0] && [after.checks[0].seq, after.checks[0].successes],
        [3, 3],
        "the first check after the restart is the third",
      );
      assert.deepEqual(
        after.transitions.map((t) => [t.seq, t.from, t.to, t.successes]),
        [[3, "UNKNOWN", "ONLINE", 3]],
      );
    } finally {
      await first.stop(0);
      await h.cleanup();
    }
  });

  it("stop aborts an in-flight check at once and does not count it", async () => {
    const h = await createTestSqliteStore();
    let started = 0;
    const tickflow = tickflowOn(h.store, [
      {
        name: "slow",
        interval: "500ms",
        timeout: "400ms",
        check: (signal) => {
          started++;
          return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
        },
      },
    ]);
    const { checks } = collect(tickflow);
    try {
      await tickflow.start();
      await waitFor(() => started > 0, "a check in flight");
      const t = performance.now();
      await tickflow.stop(); // grace 10 s: the check does not get it
      assert.ok(performance.now() - t < 1_000, `stop took ${performance.now() - t}ms`);
      assert.deepEqual(checks, [], "not counted");
      assert.equal(await h.store.queries.loadJobState("schedule:monitor.slow"), undefined);
      const [job] = await h.store.queries.listJobs({ type: "monitor.slow" });
      const runs = await h.store.queries.listJobRuns(job!.id);
      assert.match(runs[0]?.errorMessage ?? "", /stopping \(not counted\)/);
    } finally {
      await tickflow.stop(0);
      await h.cleanup();
    }
  });
});

const dialects: {
  name: string;
  skip?: string;
  open(): Promise<{ a: Store; b: Store; cleanup(): Promise<void> }>;
}[] = [
  {
    name: "sqlite (two Tickflow instances on one file)",
    async open() {
      const h = await createTestSqliteStore();
      return { a: h.store, b: await h.openAnother(), cleanup: () => h.cleanup() };
    },
  },
  {
    name: "postgres (two Tickflow instances on one database)",
    skip: pgTestSkip(),
    async open() {
      const h = await createTestPgStore();
      return { a: h.store, b: await h.openAnother(), cleanup: () => h.cleanup() };
    },
  },
];

for (const dialect of dialects) {
  describe(`monitors: queue gating on ${dialect.name}`, { skip: dialect.skip }, () => {
    it("jobs on a gated queue wait while OFFLINE and all run after ONLINE; other queues are unaffected", async () => {
      const { a, b, cleanup } = await dialect.open();
      let healthy = false;
      const ran = new Map<number, number>();
      const ranOther: number[] = [];
      const pay = defineJob<number>(
        "pay",
        async (n) => {
          ran.set(n, (ran.get(n) ?? 0) + 1);
        },
        { queue: "payments" },
      );
      const other = defineJob<number>("other", async (n) => {
        ranOther.push(n);
      });
      const gatekeeper = {
        name: "bank",
        check: async () => healthy,
        gates: ["payments"],
        riseAfter: 2,
        fallAfter: 2,
        ...FAST,
      };
      // Process A runs the monitor (and works every queue); process B is a plain worker.
      const processA = tickflowOn(a, [gatekeeper], { jobs: asJobs(pay, other) });
      const processB = new Tickflow(b, { pollIntervalMs: 50, jobs: asJobs(pay, other) }, false);
      const { transitions } = collect(processA);
      try {
        await processA.start();
        await processB.start({ scheduler: false });
        assert.deepEqual(await a.queries.listClosedGates(), [], "UNKNOWN does not gate by default");
        await waitFor(() => transitions.some((t) => t.to === "OFFLINE"), "OFFLINE");
        assert.deepEqual(
          (await b.queries.listClosedGates()).map((g) => g.queue),
          ["payments"],
        );

        await processB.enqueueMany([
          ...Array.from({ length: 20 }, (_, i) => ({ type: pay, payload: i })),
          ...Array.from({ length: 10 }, (_, i) => ({ type: other, payload: i })),
        ]);
        await waitFor(() => ranOther.length === 10, "the other queue's jobs");
        await sleep(500); // ten poll intervals of both workers
        assert.equal(ran.size, 0, "no gated job ran while OFFLINE");
        const waiting = await b.queries.listJobs({ queue: "payments", states: ["available"], limit: 100 });
        assert.equal(waiting.length, 20, "all gated jobs wait, nothing lost");

        healthy = true;
        await waitFor(() => transitions.some((t) => t.to === "ONLINE"), "ONLINE");
        const onlineAt = Date.now();
        await waitFor(() => ran.size === 20, "every gated job after ONLINE");
        const tookMs = Date.now() - onlineAt;
        assert.ok(tookMs < 2_000, `gated jobs started ${tookMs}ms after ONLINE`);
        await sleep(200);
        assert.deepEqual([...ran.values()], Array(20).fill(1), "each gated job ran exactly once");
        assert.deepEqual(await a.queries.listClosedGates(), []);
        assert.deepEqual(
          transitions.map((t) => [t.from, t.to, t.closedQueues]),
          [
            ["UNKNOWN", "OFFLINE", ["payments"]],
            ["OFFLINE", "ONLINE", []],
          ],
        );
      } finally {
        await processB.stop(0);
        await processA.stop(0);
        await cleanup();
      }
    });

    it("with gateUnknown, the gated queue waits until the monitor has proven ONLINE", async () => {
      const { a, cleanup } = await dialect.open();
      const ran: number[] = [];
      const pay = defineJob<number>(
        "pay",
        async (n) => {
          ran.push(n);
        },
        { queue: "payments" },
      );
      let checks = 0;
      const tickflow = tickflowOn(
        a,
        [
          {
            name: "bank",
            check: async () => ++checks > 2,
            gates: ["payments"],
            gateUnknown: true,
            riseAfter: 1,
            ...FAST,
          },
        ],
        { jobs: asJobs(pay) },
      );
      const { transitions } = collect(tickflow);
      try {
        await tickflow.start();
        await tickflow.enqueue(pay, 1);
        await waitFor(() => checks >= 2, "two failed checks");
        assert.deepEqual(ran, [], "UNKNOWN gates with gateUnknown");
        await waitFor(() => ran.length === 1, "the job after ONLINE");
        assert.deepEqual(
          transitions.map((t) => [t.from, t.to]),
          [["UNKNOWN", "ONLINE"]],
        );
      } finally {
        await tickflow.stop(0);
        await cleanup();
      }
    });
  });
}

describe("monitors: definition on a Tickflow", () => {
  it("a monitor is an ordinary stateful job type with an every schedule (misfire skip, overlap skip)", async () => {
    const h = await createTestSqliteStore();
    const tickflow = new Tickflow(h.store, {}, false);
    try {
      const m = tickflow.defineMonitor(defineMonitor({ name: "api", url: "https://example.com/health" }));
      assert.equal(tickflow.registry.get("monitor.api").options.stateful, true);
      assert.equal(tickflow.registry.get("monitor.api").options.maxAttempts, 1);
      await tickflow.syncSchedules();
      const schedule = await h.store.queries.getSchedule("monitor.api");
      assert.deepEqual(schedule?.trigger, { kind: "every", intervalMs: 30_000 });
      assert.equal(schedule?.misfire, "skip");
      assert.equal(schedule?.overlap, "skip");
      assert.equal(schedule?.jobOptions.queue, "monitors");
      const [status] = await tickflow.monitors.status();
      assert.equal(status?.state, "UNKNOWN");
      assert.equal(status?.checks, 0);
      assert.equal(m.name, "api");
      assert.throws(
        () => tickflow.defineMonitor({ name: "api", url: "https://example.com" }),
        /defined twice/,
      );
      assert.throws(
        () => tickflow.defineMonitor({ name: "b", url: "https://example.com", gates: ["monitors"] }),
        /own queue "monitors"/,
      );
      tickflow.defineMonitor({ name: "c", url: "https://example.com", queue: "liveness" });
      assert.throws(
        () => tickflow.defineMonitor({ name: "d", url: "https://example.com", gates: ["liveness"] }),
        /monitor "d": gates must not include queue "liveness", where monitor "c" runs its checks/,
      );
    } finally {
      await h.cleanup();
    }
  });
});

describe("monitors: from the config file", () => {
  it("tickflowFromConfig defines the config's monitors (plain { name, url } objects)", async () => {
    const dir = tempDir();
    const config = validateConfig({
      database: `sqlite:${dir.dir}/t.db`,
      monitors: [{ name: "api", url: "http://127.0.0.1:9/health", gates: ["payments"] }],
    });
    const tickflow = await tickflowFromConfig(config, silentLogger);
    try {
      assert.deepEqual(
        tickflow.monitors.list().map((m) => [m.name, m.jobType, m.gates]),
        [["api", "monitor.api", ["payments"]]],
      );
      assert.ok(tickflow.registry.names().includes("monitor.api"));
    } finally {
      await tickflow.stop();
      dir.cleanup();
    }
  });
});
