import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import parsePrometheus from "parse-prometheus-text-format";
import { httpSchema } from "../../src/config/http-schema.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { registerHeartbeat } from "../../src/jobs/heartbeat.ts";
import { silentLogger } from "../../src/logger.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { call, type Reply, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

/**
 * One scenario, every surface (spec §11): the overview, the schedule list and page, the CLI
 * (`schedules`, `schedules ticks`), the API and the metrics must use the same words for the same
 * ticks. Real time, a real SQLite file, a real HTTP server, the real CLI.
 */
const broken = defineJob(
  "vocab.broken",
  async () => {
    throw new Error("always fails");
  },
  { maxAttempts: 1 },
);
const slow = defineJob("vocab.slow", () => sleep(2_500));
const quick = defineJob("vocab.quick", async () => {});

interface Running {
  tickflow: Tickflow;
  port: number;
  cookie: string;
  close(): Promise<void>;
}

async function run(file: string): Promise<Running> {
  const tickflow = new Tickflow(
    new SqliteStore(file),
    { logger: silentLogger, pollIntervalMs: 50, jobs: asJobs(broken, slow, quick) },
    true,
  );
  tickflow.defineSchedule({ key: "broken", job: broken, every: "1s" });
  tickflow.defineSchedule({ key: "overlapping", job: slow, every: "1s", overlap: "skip" });
  // overlap "allow": nothing but the outage can keep these from running.
  tickflow.defineSchedule({ key: "outage", job: quick, every: "1s", misfire: "skip", overlap: "allow" });
  tickflow.defineSchedule({
    key: "outage-latest",
    job: quick,
    every: "1s",
    misfire: "latest",
    overlap: "allow",
  });
  const heartbeat = registerHeartbeat(tickflow, { enabled: false });
  // As `tickflow start` does: start, then the HTTP server (the tick counter counts from creation).
  await tickflow.start();
  const app = await createHttpServer({
    tickflow,
    heartbeat,
    config: httpSchema.parse({ tokens: [TOKEN] }),
    logger: silentLogger,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const login = await call(port, "POST", "/dashboard/login", {
    token: null,
    headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://127.0.0.1:${port}` },
    body: new URLSearchParams({ token: TOKEN, next: "/dashboard" }).toString(),
  });
  const setCookie = login.headers["set-cookie"];
  const cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(";")[0]!;
  return {
    tickflow,
    port,
    cookie,
    close: async () => {
      await app.close();
      await tickflow.stop(0);
    },
  };
}

const page = (r: Running, path: string): Promise<Reply> =>
  call(r.port, "GET", path, { token: null, headers: { cookie: r.cookie } });

function cli(file: string, args: string[]) {
  const out = spawnSync(process.execPath, ["bin/tickflow.js", ...args], {
    env: {
      ...process.env,
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_CONFIG: "test/fixtures/empty.config.ts",
    },
    encoding: "utf8",
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** The nominal times of a schedule page's rows with `decision`. */
function rowsOf(html: string, decision: string): number[] {
  return [...html.matchAll(/<tr data-decision="(\w+)" data-mark="\w+" data-nominal="(\d+)">/g)]
    .filter((m) => m[1] === decision)
    .map((m) => Number(m[2]));
}

function missedMetric(text: string, key: string): number {
  return (parsePrometheus(text).find((f) => f.name === "tickflow_schedule_ticks_total")?.metrics ?? [])
    .filter((m) => m.labels?.schedule === key && m.labels?.decision === "missed")
    .reduce((n, m) => n + Number(m.value), 0);
}

function healthOfRow(html: string, key: string): string | undefined {
  return new RegExp(`<tr data-health="(\\w+)" data-subject="${key}">`).exec(html)?.[1];
}

function healthMetric(text: string, key: string): string[] {
  const family = parsePrometheus(text).find((f) => f.name === "tickflow_schedule_health");
  return (family?.metrics ?? [])
    .filter((m) => m.labels?.schedule === key && m.value === "1")
    .map((m) => m.labels?.tickflow_schedule_health ?? "");
}

describe("one vocabulary across overview, schedule list and page, CLI, API and metrics (real time)", () => {
  const { dir, cleanup } = tempDir();
  const file = join(dir, "tickflow.db");
  let live: Running;
  let downtime: { from: number; to: number };

  before(async () => {
    const first = await run(file);
    await waitFor(
      async () => (await first.tickflow.listTicks("outage", { limit: 3 })).length >= 2,
      "ticks",
      10_000,
    );
    await first.close();
    // The process is down for 5 s: the outage schedules' ticks in between are due and nobody runs them.
    const stoppedAt = Date.now();
    await sleep(5_000);
    live = await run(file);
    downtime = { from: stoppedAt, to: Date.now() };
    await sleep(3_000); // a few ticks after the restart: failing within one tick, overlaps skipped
  });
  after(async () => {
    await live?.close();
    cleanup();
  });

  it("an always-failing schedule is failing everywhere", async () => {
    const api = (await call(live.port, "GET", "/api/v1/schedules")).json().schedules;
    assert.equal(api.find((s: { key: string }) => s.key === "broken").health.status, "failing");
    const ticks = (await call(live.port, "GET", "/api/v1/schedules/broken/ticks?limit=5")).json().ticks;
    assert.ok(
      ticks.some((t: { outcome: string }) => t.outcome === "failed"),
      "API ticks carry the failed outcome",
    );
    const overview = (await page(live, "/dashboard")).text;
    assert.equal(healthOfRow(overview, "broken"), "failing", "overview");
    assert.ok(
      overview.indexOf('data-subject="broken"') < overview.indexOf('data-subject="outage-latest"'),
      "worst first on the overview",
    );
    const list = (await page(live, "/dashboard/schedules")).text;
    assert.match(
      list,
      /<tr data-health="failing"><th scope="row"><a href="\/dashboard\/schedules\/broken">/,
      "schedule list",
    );
    const one = (await page(live, "/dashboard/schedules/broken")).text;
    assert.match(one, /data-testid="schedule-health"><span class="badge tone-\w+">failing</, "schedule page");
    assert.ok(rowsOf(one, "fired").length > 0);
    assert.match(one, /data-mark="failed"/);
    const rows = cli(file, ["schedules", "--json"]);
    assert.equal(rows.find((r: { id: string }) => r.id === "broken").health.status, "failing", "CLI");
    assert.ok(rows.find((r: { id: string }) => r.id === "broken").counts.failed >= 1);
    const metrics = (await call(live.port, "GET", "/metrics")).text;
    assert.deepEqual(healthMetric(metrics, "broken"), ["failing"], "metrics StateSet");
  });

  it("a downtime shows the same ticks as missed everywhere, whatever the misfire policy", async () => {
    for (const key of ["outage", "outage-latest"]) {
      const api = (await call(live.port, "GET", `/api/v1/schedules/${key}/ticks?limit=100`)).json().ticks as {
        nominalAt: string;
        decision: string;
      }[];
      // Due after the stop and more than the on-time tolerance (1 s) before the new scheduler started.
      const inOutage = (t: number) =>
        t > downtime.from + 500 && t < live.tickflow.lifecycle.startedAt! - 1_500;
      const apiMissed = api.filter((t) => t.decision === "missed").map((t) => Date.parse(t.nominalAt));
      assert.ok(
        apiMissed.filter(inOutage).length >= 2,
        `${key}: the outage's ticks are missed in the API: ${JSON.stringify(api.slice(0, 30).map((t) => [Date.parse(t.nominalAt) - downtime.from, t.decision]))} (down for ${downtime.to - downtime.from} ms)`,
      );
      assert.equal(
        api.filter((t) => inOutage(Date.parse(t.nominalAt)) && t.decision !== "missed").length,
        0,
        `${key}: no tick inside the outage is anything but missed`,
      );
      const pageMissed = rowsOf((await page(live, `/dashboard/schedules/${key}`)).text, "missed");
      assert.deepEqual(
        pageMissed.sort(),
        [...apiMissed].sort(),
        `${key}: the schedule page shows the same missed ticks`,
      );
      const cliTicks = cli(file, ["schedules", "ticks", key, "--limit", "100", "--json"]) as {
        nominalAt: number;
        decision: string;
      }[];
      assert.deepEqual(
        cliTicks
          .filter((t) => t.decision === "missed")
          .map((t) => t.nominalAt)
          .sort(),
        [...apiMissed].sort(),
        `${key}: the CLI shows the same missed ticks`,
      );
      const list = (await page(live, "/dashboard/schedules")).text;
      const row = list.slice(list.indexOf(`/dashboard/schedules/${key}"`)).split("</tr>")[0]!;
      const marks = [...row.matchAll(/data-mark="(\w+)"/g)].map((m) => m[1]);
      assert.ok(marks.includes("missed"), `${key}: the list draws the outage as missed (${marks.join(" ")})`);
      assert.ok(
        !marks.includes("skipped"),
        `${key}: nothing drawn as skipped in the list (${marks.join(" ")})`,
      );
      // The counter counts this process's decisions as they happen; on a busy machine a late tick
      // may be missed after the outage too, so the API's count is read between two scrapes.
      const before = missedMetric((await call(live.port, "GET", "/metrics")).text, key);
      const all = (await call(live.port, "GET", `/api/v1/schedules/${key}/ticks?limit=500`)).json().ticks as {
        decision: string;
        decidedAt: string;
      }[];
      // The counter is this process's: the ticks it decided (the first process's are not in it).
      const startedAt = live.tickflow.lifecycle.startedAt!;
      const missedNow = all.filter(
        (t) => t.decision === "missed" && Date.parse(t.decidedAt) >= startedAt,
      ).length;
      const afterwards = missedMetric((await call(live.port, "GET", "/metrics")).text, key);
      assert.ok(
        before <= missedNow && missedNow <= afterwards,
        `${key}: the metric counts the missed ticks the API lists (${before} ≤ ${missedNow} ≤ ${afterwards})`,
      );
    }
  });

  it("an overlap skip is skipped everywhere (and not a failure or a miss)", async () => {
    const api = (await call(live.port, "GET", "/api/v1/schedules/overlapping/ticks?limit=100")).json()
      .ticks as {
      nominalAt: string;
      decision: string;
      reason: string;
    }[];
    const skipped = api.filter((t) => t.decision === "skipped").map((t) => Date.parse(t.nominalAt));
    assert.ok(skipped.length >= 1, "ticks while the slow run held the schedule are skipped");
    assert.ok(api.filter((t) => t.decision === "skipped").every((t) => t.reason === "overlap"));
    const onePage = (await page(live, "/dashboard/schedules/overlapping")).text;
    assert.deepEqual(rowsOf(onePage, "skipped").sort(), [...skipped].sort(), "schedule page");
    const cliTicks = cli(file, ["schedules", "ticks", "overlapping", "--limit", "100", "--json"]) as {
      nominalAt: number;
      decision: string;
    }[];
    assert.deepEqual(
      cliTicks
        .filter((t) => t.decision === "skipped")
        .map((t) => t.nominalAt)
        .sort(),
      [...skipped].sort(),
      "CLI",
    );
    const health = (await call(live.port, "GET", "/api/v1/schedules/overlapping")).json().health.status;
    assert.notEqual(health, "failing", "a skip is not a failure");
    const overview = (await page(live, "/dashboard")).text;
    assert.notEqual(healthOfRow(overview, "overlapping"), "failing");
    assert.match(
      overview.slice(overview.indexOf('data-subject="overlapping"')).split("</tr>")[0]!,
      /tick-skipped/,
    );
    const metrics = parsePrometheus((await call(live.port, "GET", "/metrics")).text);
    const counted = metrics
      .find((f) => f.name === "tickflow_schedule_ticks_total")
      ?.metrics.filter((m) => m.labels?.schedule === "overlapping" && m.labels?.decision === "skipped")
      .reduce((n, m) => n + Number(m.value), 0);
    assert.ok((counted ?? 0) >= 1, "metrics count overlap skips as skipped");
  });
});
