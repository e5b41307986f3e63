#!/usr/bin/env node
// npm run bench:peers [-- <bench/peers/main.ts flags>]: installs the peer benchmark's own
// dependencies if needed (npm ci in bench/peers, or in the --peers directory, e.g.
// bench/peers/node24), then runs it. The peers are the benchmark's dependencies, never tickflow's.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const at = args.indexOf("--peers");
const peersDir = resolve(at >= 0 ? args[at + 1] : "bench/peers");
const lock = join(peersDir, "package-lock.json");
const installed = join(peersDir, "node_modules/.package-lock.json");
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error(`installing the peer benchmark's dependencies in ${peersDir} (npm ci)…`);
  const npm = spawnSync("npm", ["--prefix", peersDir, "ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
// A peer set built for another Node (node24) brings its own better-sqlite3 build; tickflow's
// own import of it is pointed there (redirect-native.mjs), as its ABI must match this Node.
const redirect = join(peersDir, "redirect-native.mjs");
const preload = existsSync(redirect) ? ["--import", redirect] : [];
const bench = spawnSync(process.execPath, [...preload, "--import", "tsx", "bench/peers/main.ts", ...args], {
  stdio: "inherit",
});
process.exit(bench.status ?? 1);
