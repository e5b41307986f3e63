// The peer benchmark: tickflow and its peers through one small interface (adapter.ts), the same
// scenarios for all, each in a fresh child process, libraries back to back, medians of rounds.
//   npm run bench:peers [-- --quick] [--rounds 3] [--only processed,bulk,…] [--libs tickflow-sqlite,plainjob,…]
//     [--configs default,tuned] [--jobs 20000] [--samples 200] [--future 10000,1000000] [--processes 1,2,4]
//     [--pg-url postgres://…] [--redis-url redis://…] [--peers bench/peers/node24] [--json out.json] [--docs]
//     [--from out.json]  (no run: the tables, and with --docs the docs, from a saved --json)
// See docs/benchmarks.md for the method and what "tuned" means per library.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { arch, cpus, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "./adapter.ts";
import { ADAPTERS, BACKENDS } from "./adapters/index.ts";
import type { ChildSpec } from "./child.ts";
import { benchEnv } from "./env.ts";
import { type Cell, markdownTables, median, svgChart } from "./report.ts";
import type { Params } from "./scenarios.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    only: { type: "string" },
    libs: { type: "string" },
    configs: { type: "string", default: "default,tuned" },
    jobs: { type: "string" },
    samples: { type: "string" },
    future: { type: "string" },
    processes: { type: "string" },
    "pg-url": { type: "string" },
    "redis-url": { type: "string" },
    peers: { type: "string", default: join(ROOT, "bench/peers") },
    json: { type: "string" },
    docs: { type: "boolean", default: false },
    from: { type: "string" },
  },
});
const quick = values.quick;
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(",").filter(Boolean);
const params: Params = {
  jobs: Number(values.jobs ?? (quick ? 2_000 : 20_000)),
  samples: Number(values.samples ?? (quick ? 15 : 200)),
  budgetMs: quick ? 8_000 : 60_000,
  future: 0,
  processes: 1,
  idleMs: quick ? 1_500 : 5_000,
  delayed: quick ? 20 : 100,
};
const futures = list(values.future, quick ? "1000,20000" : "10000,1000000").map(Number);
const processCounts = list(values.processes, quick ? "1,2" : "1,2,4").map(Number);
const scenarios = list(
  values.only,
  "processed,bulk,pickup-same,pickup-cross,delayed,idle-rss,claim-cost,scaling",
);
const libs = list(values.libs, Object.keys(ADAPTERS).join(","));
const configs = list(values.configs, "default,tuned") as Config[];
const peersDir = resolve(values.peers);
const pgUrl =
  values["pg-url"] ?? process.env.TICKFLOW_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const redisUrl = values["redis-url"] ?? process.env.TICKFLOW_BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Why a backend cannot be used, or undefined when it answers. */
async function probePostgres(): Promise<string | undefined> {
  const pg = (await (await benchEnv({ namespace: "probe", peersDir })).loadPeer("pg")) as {
    default: { Client: new (o: object) => { connect(): Promise<void>; end(): Promise<void> } };
  };
  const client = new pg.default.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${pgUrl.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@")} unreachable (${(error as Error).message})`;
  }
}

function probeRedis(): Promise<string | undefined> {
  const url = new URL(redisUrl);
  return new Promise((done) => {
    const socket = connect(Number(url.port || 6379), url.hostname);
    const fail = (why: string) => {
      socket.destroy();
      done(`Redis at ${url.host} unreachable (${why})`);
    };
    socket.setTimeout(3_000, () => fail("timeout"));
    socket.once("error", (error) => fail(error.message));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      done(
        data.toString().startsWith("+PONG")
          ? undefined
          : `Redis at ${url.host} answered ${data.toString().trim()}`,
      );
    });
  });
}

const skipped: Record<string, string | undefined> = {
  sqlite: undefined,
  postgres: await probePostgres(),
  redis: await probeRedis(),
};
for (const [backend, why] of Object.entries(skipped)) if (why) console.log(`skipping ${backend}: ${why}`);

let runCounter = 0;
/** Runs one scenario of one library in a fresh child process; resolves with its metrics. */
function runChild(spec: Omit<ChildSpec, "env">): Promise<Record<string, number>> {
  const namespace = `tfbench_${process.pid}_${++runCounter}`;
  const full: ChildSpec = { ...spec, env: { namespace, peersDir, pgUrl, redisUrl } };
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, "--expose-gc", join(import.meta.dirname, "child.ts"), JSON.stringify(full)],
      { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (line) done(JSON.parse(line.slice("RESULT ".length)));
      else fail(new Error(`exit ${code}: ${(err || out).trim().split("\n").slice(-3).join(" / ")}`));
    });
  });
}

interface Plan {
  scenario: string;
  variant: string;
  lib: string;
  config: Config;
  params: Params;
}

/** What each scenario runs: which libraries and configs, with which parameters. */
function plan(): Plan[] {
  const plans: Plan[] = [];
  const add = (scenario: string, lib: string, config: Config, variant = "", extra: Partial<Params> = {}) =>
    plans.push({ scenario, lib, config, variant, params: { ...params, ...extra } });
  const pgLibs = libs.filter((l) => BACKENDS[l] === "postgres");
  for (const scenario of scenarios) {
    if (scenario === "idle-rss") add(scenario, "bare", "default");
    if (scenario === "pickup-cross" && libs.includes("tickflow-pg")) add(scenario, "floor-pg", "default");
    if (scenario === "processed" || scenario === "bulk") {
      if (libs.includes("tickflow-sqlite")) add(scenario, "floor-sqlite", "default");
      if (libs.includes("tickflow-pg")) add(scenario, "floor-pg", "default");
    }
    if (scenario === "claim-cost") {
      for (const future of futures)
        for (const lib of libs)
          add(scenario, lib, "default", `${future.toLocaleString("en-US")} future rows`, { future });
      continue;
    }
    if (scenario === "scaling") {
      for (const processes of processCounts)
        for (const lib of pgLibs)
          for (const config of configs)
            add(scenario, lib, config, `${processes} worker process${processes > 1 ? "es" : ""}`, {
              processes,
            });
      continue;
    }
    const tunable = scenario !== "bulk" && scenario !== "idle-rss";
    for (const lib of libs)
      for (const config of tunable ? configs : (["default"] as Config[])) add(scenario, lib, config);
  }
  return plans;
}

const NAMES: Record<string, string> = {
  bare: "bare runner",
  "floor-sqlite": "floor: raw better-sqlite3",
  "floor-pg": "floor: bare pg",
};
const backendOf = (lib: string) =>
  lib === "floor-sqlite" || lib === "bare" ? "sqlite" : lib === "floor-pg" ? "postgres" : BACKENDS[lib]!;

async function main() {
  const plans = plan();
  const cells: Cell[] = [];
  const names: Record<string, string> = { ...NAMES };
  for (const lib of libs) names[lib] = (await ADAPTERS[lib]!()).name;
  const started = Date.now();
  for (const p of plans) {
    cells.push({
      scenario: p.scenario,
      variant: p.variant,
      lib: p.lib,
      name: names[p.lib] ?? p.lib,
      config: p.config,
      rounds: [],
    });
  }
  // Libraries back to back within a round, so a slow minute of the shared VM hits all of them.
  for (let round = 1; round <= rounds; round++) {
    for (const [i, p] of plans.entries()) {
      const cell = cells[i]!;
      const why = skipped[backendOf(p.lib)];
      if (why) {
        cell.missing = `skipped: ${why.split(" (")[0]}`;
        continue;
      }
      if (cell.missing) continue;
      const label = `[round ${round}/${rounds}] ${p.scenario}${p.variant ? ` (${p.variant})` : ""} · ${cell.name} · ${p.config}`;
      try {
        const metrics = await runChild({
          scenario: p.scenario,
          lib: p.lib,
          config: p.config,
          params: p.params,
        });
        cell.rounds.push(metrics);
        console.error(
          `${label}: ${JSON.stringify(metrics, (_k, v) => (typeof v === "number" ? Math.round(v * 100) / 100 : v))}`,
        );
      } catch (error) {
        cell.missing = `failed: ${(error as Error).message.slice(0, 120)}`;
        console.error(`${label}: ${cell.missing}`);
      }
    }
  }
  // Idle RSS is reported above the bare runner's.
  const bare = cells.find((c) => c.scenario === "idle-rss" && c.lib === "bare");
  const bareMb = bare ? median(bare.rounds.map((r) => r.rssMb!)) : Number.NaN;
  for (const cell of cells)
    if (cell.scenario === "idle-rss") for (const r of cell.rounds) r.aboveBareMb = r.rssMb! - bareMb;

  const versions: Record<string, string> = {};
  const env = await benchEnv({ namespace: "versions", peersDir });
  for (const lib of libs)
    versions[(await ADAPTERS[lib]!()).name] = await (await ADAPTERS[lib]!()).version(env).catch(() => "?");
  const machine = describeMachine();
  const header = [
    `Run ${new Date(started).toISOString()} (${Math.round((Date.now() - started) / 1_000)} s), ${quick ? "QUICK mode (smoke test, not figures)" : "full mode"}, ${rounds} round${rounds > 1 ? "s" : ""} (medians, range in brackets).`,
    `Machine: ${machine}.`,
    `Versions: ${Object.entries(versions)
      .map(([n, v]) => `${n} ${v}`)
      .join(", ")}.`,
    `Parameters: ${params.jobs} jobs, ${params.samples} latency samples (≤ ${params.budgetMs / 1_000} s each), future rows ${futures.join(" / ")}, worker processes ${processCounts.join(" / ")}, concurrency 10.`,
    ...Object.entries(skipped)
      .filter(([, why]) => why)
      .map(([b, why]) => `Skipped ${b}: ${why}.`),
  ];
  const tables = markdownTables(cells);
  console.log(`\n${header.join("\n")}\n\n${tables}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ header, cells, quick }, null, 2));
  if (values.docs) writeDocs(header, tables, cells, quick);
}

/** Renders a saved run (--json) again: the tables, and the docs with --docs. */
function fromSaved(file: string) {
  const saved = JSON.parse(readFileSync(file, "utf8")) as {
    header: string[];
    cells: Cell[];
    quick?: boolean;
  };
  const wasQuick = saved.quick ?? saved.header.some((line) => line.includes("QUICK mode"));
  const tables = markdownTables(saved.cells);
  console.log(`${saved.header.join("\n")}\n\n${tables}`);
  if (values.docs) writeDocs(saved.header, tables, saved.cells, wasQuick);
}

function describeMachine(): string {
  const cpu = cpus();
  let postgres = "";
  try {
    postgres = execFileSync("psql", [pgUrl, "-Atc", "SHOW server_version"], { encoding: "utf8" }).trim();
  } catch {
    postgres = "?";
  }
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GB, Linux ${release()} ${arch()}, Node ${process.versions.node}, PostgreSQL ${postgres}`;
}

/** Rewrites the generated part of docs/benchmarks.md and the chart beside it. */
function writeDocs(header: string[], tables: string, cells: Cell[], placeholderRun: boolean) {
  const doc = join(ROOT, "docs/benchmarks.md");
  const begin = "<!-- bench:peers:begin (generated by npm run bench:peers -- --docs; do not edit) -->";
  const end = "<!-- bench:peers:end -->";
  const text = readFileSync(doc, "utf8");
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`docs/benchmarks.md lacks the ${begin} … ${end} markers`);
  const placeholder = placeholderRun
    ? "> **PLACEHOLDER — not figures.** Generated by `npm run bench:peers -- --quick --docs`: one round of a smoke test\n> with small parameters, on a shared machine under heavy load. Replace it with a full run on a quiet machine\n> (`npm run bench:peers -- --docs`).\n\n"
    : "";
  const generated = `${begin}\n\n${placeholder}${header.join("\n")}\n\n![processed jobs/s](images/bench-peers-processed.svg)\n\n${tables}\n${end}`;
  writeFileSync(doc, text.slice(0, from) + generated + text.slice(to + end.length));
  writeFileSync(
    join(ROOT, "docs/images/bench-peers-processed.svg"),
    svgChart(cells, "processed", "Processed jobs/s"),
  );
  console.error("wrote docs/benchmarks.md and docs/images/bench-peers-processed.svg");
}

if (values.from) fromSaved(values.from);
else await main();
process.exit(0);
