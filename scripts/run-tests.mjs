#!/usr/bin/env node
// Runs every test file under test/ with node's test runner through tsx.
// Node 20's --test does not expand globs itself (that came in Node 21), so we list the files here.
// The CLI tests run the real bin, which runs dist/: it is rebuilt first (incremental, a few seconds
// when nothing changed) so they never test stale code. TICKFLOW_TEST_NO_BUILD=1 skips that.
// Usage: node scripts/run-tests.mjs [path-filter …]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function list(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return list(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = list("test")
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
if (process.env.TICKFLOW_TEST_NO_BUILD !== "1") {
  const build = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
