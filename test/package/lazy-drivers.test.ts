import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

/**
 * Which database drivers a process loads, seen from inside it: both drivers are CommonJS, so every
 * module of theirs that was loaded is in the CommonJS cache. Runs the built package (dist/, what
 * `import "tickflow"` gives a user) in a fresh Node process.
 */
function driversLoadedAfter(script: string): { sqlite: boolean; pg: boolean } {
  const probe = `
import { createRequire } from "node:module";
${script}
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify({
  sqlite: loaded.some((f) => f.includes("/node_modules/better-sqlite3/")),
  pg: loaded.some((f) => /\\/node_modules\\/pg(-[a-z]+)?\\//.test(f)),
}));`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").pop()!) as { sqlite: boolean; pg: boolean };
}

describe("drivers load only when a database URL needs them", () => {
  it('import "tickflow" loads neither driver', () => {
    assert.deepEqual(driversLoadedAfter('await import("./dist/index.js");'), { sqlite: false, pg: false });
  });

  it("a SQLite store loads better-sqlite3 and not pg", () => {
    const script = `const { createTickflow } = await import("./dist/index.js");
const t = await createTickflow({ databaseUrl: "sqlite::memory:" });
await t.stop();`;
    assert.deepEqual(driversLoadedAfter(script), { sqlite: true, pg: false });
  });

  it("a PostgreSQL store loads pg and not better-sqlite3 (no connection needed to see it)", () => {
    const script = `const { openStore } = await import("./dist/store/open-store.js");
const store = await openStore("postgres://nobody@127.0.0.1:1/x");
await store.close();`;
    assert.deepEqual(driversLoadedAfter(script), { sqlite: false, pg: true });
  });

  it("the CLI's --help loads no driver, no HTTP server and no TypeScript loader", () => {
    const probe = `
import { createRequire } from "node:module";
import { register } from "node:module";
const seen = [];
process.argv = [process.argv[0], "tickflow", "--help"];
const exit = process.exit;
process.exit = (code) => {
  const loaded = Object.keys(createRequire(import.meta.url).cache).join("\\n");
  console.error(JSON.stringify({
    sqlite: loaded.includes("/better-sqlite3/"), pg: loaded.includes("/node_modules/pg/"),
    fastify: loaded.includes("/node_modules/fastify/"), esbuild: loaded.includes("/node_modules/esbuild/"),
  }));
  exit(code);
};
await import("./dist/cli/main.js");`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" });
    assert.match(result.stdout, /Usage: tickflow/);
    const loaded = JSON.parse(result.stderr.trim().split("\n").pop()!);
    assert.deepEqual(loaded, { sqlite: false, pg: false, fastify: false, esbuild: false });
  });
});
