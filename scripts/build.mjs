#!/usr/bin/env node
// Builds dist/: the compiled library and CLI (tsc), then the files the code reads at run time
// (the dashboard's stylesheet and script) copied beside it, so nothing is read from src/.
// Runs as `npm run build` and as `prepare` (a clone's `npm ci`, a git install, `npm pack`).
import { spawnSync } from "node:child_process";
import { cpSync } from "node:fs";
import { createRequire } from "node:module";

// The migrations' .sql files first, embedded in src/store/migrations.generated.ts (no file access at run time).
const embed = spawnSync(process.execPath, ["scripts/embed-sql.mjs"], { stdio: "inherit" });
if (embed.status !== 0) process.exit(embed.status ?? 1);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (result.status !== 0) process.exit(result.status ?? 1);
cpSync("src/dashboard/static", "dist/dashboard/static", { recursive: true });
