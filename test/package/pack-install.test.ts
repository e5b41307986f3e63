import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pgTestSkip, pgTestUrl } from "../helpers/pg.ts";
import { tempDir } from "../helpers/sqlite.ts";

/**
 * The package as a user gets it: `npm pack` makes the tarball, which is installed into fresh
 * projects (ES module JavaScript, CommonJS JavaScript, TypeScript, PostgreSQL only) with npm, each
 * then running `npx tickflow init`, `migrate`, `trigger example --wait` and using the library.
 *
 * Offline: npm installs from its cache (`--prefer-offline`). better-sqlite3's install script finds
 * its native module in a local prebuilds folder (prebuild-install's own `local-prebuilds` option),
 * made from this checkout's build of the same version — what the prebuilt download would give,
 * without a network and without a ~80 s compile per project. The projects pin that version.
 */

const ROOT = resolve(".");
const require = createRequire(import.meta.url);
const SQLITE_VERSION = (require("better-sqlite3/package.json") as { version: string }).version;
/** Node's own folder first on PATH, so npx and the scripts it runs use this Node. */
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH };
  for (const name of Object.keys(env)) {
    if (
      /^(TICKFLOW_|LOG_LEVEL$|LOG_FORMAT$|ENABLE_HEARTBEAT$|NODE_TEST_CONTEXT$|NODE_OPTIONS$|npm_)/.test(name)
    )
      delete env[name];
  }
  return { ...env, ...extra };
}

function run(
  cwd: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeout = 300_000,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: cleanEnv(env), encoding: "utf8", timeout });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(
    result.status,
    0,
    `${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

let work: string;
let cleanup: () => void;
let tarball: string;
let prebuilds: string;

/** npm install, offline from the cache; returns npm's output (warnings included). */
function npmInstall(cwd: string, args: string[]): string {
  const result = run(cwd, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...args], {
    npm_config_better_sqlite3_local_prebuilds: prebuilds,
  });
  ok(result, `npm install ${args.join(" ")} in ${cwd}`);
  return result.stdout + result.stderr;
}

/** A project folder with this package.json; the installed better-sqlite3 is the checkout's version. */
function project(name: string, pkg: Record<string, unknown>): string {
  const dir = join(work, name);
  mkdirSync(dir);
  const manifest = {
    name,
    version: "1.0.0",
    private: true,
    ...pkg,
    overrides: { "better-sqlite3": SQLITE_VERSION },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

/** init → migrate → trigger --wait, as the README's tour has a user do it. */
function initMigrateTrigger(
  dir: string,
  env: Record<string, string> = {},
): { init: string; trigger: string } {
  const init = ok(run(dir, "npx", ["tickflow", "init"], env), "npx tickflow init");
  ok(run(dir, "npx", ["tickflow", "migrate"], env), "npx tickflow migrate");
  const trigger = run(dir, "npx", ["tickflow", "trigger", "example", "--wait"], env);
  ok(trigger, "npx tickflow trigger example --wait");
  assert.match(trigger.stdout + trigger.stderr, /succeeded/);
  return { init, trigger: trigger.stdout };
}

/** An app of the project's own: enqueues a job and runs it on a fresh SQLite file. */
const APP_BODY = (load: string) => `${load}
async function main() {
  const tickflow = await createTickflow({ databaseUrl: "sqlite:./app.db" });
  const done = new Promise((resolve) => tickflow.on("job:succeed", resolve));
  tickflow.defineJob("hello", async (payload) => { console.log("hello " + payload.name); });
  await tickflow.start({ scheduler: false });
  await tickflow.enqueue("hello", { name: "app" });
  await done;
  await tickflow.stop();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

describe("the packed package installed into fresh projects", { timeout: 900_000 }, () => {
  before(() => {
    ({ dir: work, cleanup } = tempDir("tickflow-pack-"));
    const packed = ok(run(ROOT, "npm", ["pack", "--json", "--pack-destination", work]), "npm pack");
    tarball = join(work, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
    // prebuild-install's name for the build of this version for this Node and platform.
    prebuilds = join(work, "prebuilds");
    mkdirSync(prebuilds);
    const name = `better-sqlite3-v${SQLITE_VERSION}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    const sqliteDir = dirname(require.resolve("better-sqlite3/package.json"));
    ok(run(sqliteDir, "tar", ["czf", join(prebuilds, name), "build/Release/better_sqlite3.node"]), "tar");
  });
  after(() => cleanup());

  it("packs what runs: compiled code with types and maps, the bin, the dashboard assets, docs and LICENSE; no tests", () => {
    const list = ok(run(ROOT, "tar", ["tzf", tarball]), "tar tzf").split("\n");
    for (const file of [
      "package/bin/tickflow.js",
      "package/dist/index.js",
      "package/dist/index.d.ts",
      "package/dist/index.d.ts.map",
      "package/dist/cli/main.js",
      "package/dist/dashboard/static/dashboard.css",
      "package/dist/dashboard/static/dashboard.js",
      "package/docs/configuration.md",
      "package/LICENSE",
      "package/README.md",
    ]) {
      assert.ok(list.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(
      list.filter((f) => /^package\/(test|bench|scripts|\.ci)\/|tsbuildinfo/.test(f)),
      [],
    );
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dev of ["tsx-cli", "typescript", "@biomejs/biome", "playwright-core", "autocannon"]) {
      assert.equal(manifest.dependencies[dev], undefined, `${dev} is no runtime dependency`);
    }
  });

  it("ES module JavaScript: init writes .ts files without touching package.json; import works", () => {
    const dir = project("esm-app", { type: "module" });
    const output = npmInstall(dir, [tarball]);
    assert.doesNotMatch(output, /EBADENGINE/);
    const before = readFileSync(join(dir, "package.json"), "utf8");
    const { init } = initMigrateTrigger(dir);
    assert.match(init, /wrote tickflow\.config\.ts/);
    assert.match(init, /wrote flows\/example\.ts/);
    assert.equal(
      readFileSync(join(dir, "package.json"), "utf8").replace(/,\s*"dependencies"[\s\S]*$/, ""),
      before.replace(/,\s*"dependencies"[\s\S]*$/, ""),
    );
    writeFileSync(
      join(dir, "app.js"),
      APP_BODY(
        'import { createTickflow } from "tickflow";\nimport { tickflowFastify } from "tickflow/fastify";\nimport { createTickflowHandler } from "tickflow/http";\nconsole.log("mounts " + typeof tickflowFastify + " " + typeof createTickflowHandler);',
      ),
    );
    const out = ok(run(dir, "node", ["app.js"]), "node app.js");
    assert.match(out, /mounts function function/);
    assert.match(out, /hello app/);
    // The generated test passes as generated.
    assert.match(
      ok(
        run(dir, "node", ["--import", "tsx", "--test", "--test-reporter=tap", "flows/example.test.ts"]),
        "flow test",
      ),
      /# pass 1/,
    );
  });

  it('CommonJS JavaScript: init writes .mts files and leaves "type" alone; require() works', () => {
    const dir = project("cjs-app", { type: "commonjs" });
    npmInstall(dir, [tarball]);
    const { init } = initMigrateTrigger(dir);
    assert.match(init, /wrote tickflow\.config\.mts/);
    assert.match(init, /wrote flows\/example\.mts/);
    assert.equal(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type, "commonjs");
    writeFileSync(
      join(dir, "app.js"),
      APP_BODY(
        'const { createTickflow } = require("tickflow");\nconsole.log("version " + require("tickflow/package.json").version);\nconsole.log("mounts " + typeof require("tickflow/fastify").tickflowFastify + " " + typeof require("tickflow/http").createTickflowHandler);',
      ),
    );
    const out = ok(run(dir, "node", ["app.js"]), "node app.js");
    assert.match(out, /version \d+\.\d+\.\d+/);
    assert.match(out, /mounts function function/);
    assert.match(out, /hello app/);
    // A .ts config in this CommonJS package, written with require(), loads too (tsx compiles it as CommonJS).
    writeFileSync(
      join(dir, "tickflow.config.mts"),
      'import { defineConfig } from "tickflow";\nexport default defineConfig({ concurrency: 3 });\n',
    );
    assert.match(
      ok(run(dir, "npx", ["tickflow", "status", "--check"]), "status --check"),
      /configuration OK/,
    );
  });

  it("TypeScript: the library and the generated files type-check with moduleResolution node16 and bundler", () => {
    const dir = project("ts-app", { type: "module" });
    npmInstall(dir, [tarball, "typescript@5", "@types/node@20"]);
    initMigrateTrigger(dir);
    writeFileSync(
      join(dir, "app.ts"),
      `import { createTickflow, defineJob, type JobContext, type TickflowOptions } from "tickflow";
import type { TickflowFastifyOptions } from "tickflow/fastify";
import type { TickflowHandler } from "tickflow/http";
export type Mounts = [TickflowFastifyOptions, TickflowHandler];
const options: TickflowOptions = { databaseUrl: "sqlite:./app.db", concurrency: 2 };
const job = defineJob<{ name: string }>("hello", async (payload, ctx: JobContext) => {
  ctx.logger.info(payload.name);
});
const tickflow = await createTickflow({ ...options, jobs: [job] });
const id: string = await tickflow.enqueue(job, { name: "typed" });
// @ts-expect-error the payload's type is checked
await tickflow.enqueue(job, { name: 42 });
console.log(id);
await tickflow.stop();
`,
    );
    const common = {
      target: "ES2022",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      types: ["node"],
    };
    const include = ["app.ts", "tickflow.config.ts", "flows/*.ts"];
    for (const [file, options] of [
      ["tsconfig.node16.json", { module: "node16", moduleResolution: "node16" }],
      ["tsconfig.bundler.json", { module: "esnext", moduleResolution: "bundler" }],
    ] as const) {
      writeFileSync(join(dir, file), JSON.stringify({ compilerOptions: { ...common, ...options }, include }));
      ok(run(dir, "npx", ["tsc", "-p", file]), `tsc -p ${file}`);
    }
  });

  it("PostgreSQL only: installed without better-sqlite3, it never needs it", { skip: pgTestSkip() }, () => {
    const url = pgTestUrl()!;
    const schema = `pack_${process.pid}`;
    const dir = project("pg-app", { type: "module" });
    npmInstall(dir, ["--omit=optional", tarball, "pg"]);
    assert.equal(
      existsSync(join(dir, "node_modules", "better-sqlite3")),
      false,
      "no better-sqlite3 installed",
    );
    const env = { TICKFLOW_DATABASE_URL: url, TICKFLOW_PG_SCHEMA: schema };
    try {
      initMigrateTrigger(dir, env);
      // The library on PostgreSQL; asking it for SQLite says what to install, in one line.
      writeFileSync(
        join(dir, "app.js"),
        `import { createTickflow } from "tickflow";
const tickflow = await createTickflow({ databaseUrl: process.env.TICKFLOW_DATABASE_URL });
console.log("dialect " + tickflow.store.dialect);
await tickflow.stop();
try {
  await createTickflow({ databaseUrl: "sqlite:./x.db" });
} catch (error) {
  console.log("sqlite: " + error.message);
}
`,
      );
      const out = ok(run(dir, "node", ["app.js"], env), "node app.js");
      assert.match(out, /dialect postgres/);
      assert.match(out, /sqlite: .*npm install better-sqlite3/);
    } finally {
      run(dir, "node", [
        "--input-type=module",
        "-e",
        `import pg from "pg"; const c = new pg.Client(${JSON.stringify(url)}); await c.connect(); await c.query('DROP SCHEMA IF EXISTS ${schema} CASCADE'); await c.end();`,
      ]);
    }
  });
});
