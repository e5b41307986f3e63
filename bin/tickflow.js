#!/usr/bin/env node
// The compiled CLI (dist/ is built by `npm run build`, and by `prepare` on `npm ci` or a git install).
// User TypeScript (tickflow.config.ts, flows/*.ts) is loaded through a loader scoped to those files.
await import("../dist/cli/main.js");
