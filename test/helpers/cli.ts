import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";

/** The CLI as a user runs it. */
export const BIN = resolve("bin/tickflow.js");

/** The environment without tickflow's variables: the project's defaults apply. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    // NODE_TEST_CONTEXT would make a child `node --test` report to this test runner instead of stdout.
    if (/^(TICKFLOW_|LOG_LEVEL$|LOG_FORMAT$|ENABLE_HEARTBEAT$|NODE_TEST_CONTEXT$)/.test(name))
      delete env[name];
  }
  return { ...env, ...extra };
}

/** Runs `tickflow <args>` in `cwd` to completion with a clean environment plus `env`. */
export function runCli(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(env),
    encoding: "utf8",
    timeout: 60_000,
  });
}

/**
 * `runCli` without blocking this process's event loop: for a CLI that talks to a server this
 * test process runs.
 */
export function runCliAsync(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (status) => resolveRun({ status, stdout, stderr }));
  });
}

/** The command failed with exactly one line on stderr, `tickflow: …`, matching `pattern`. */
export function assertOneLineError(result: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.notEqual(result.status, 0, `expected a failure; stdout: ${result.stdout}`);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^tickflow: /);
  assert.match(lines[0]!, pattern);
}
