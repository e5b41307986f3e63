import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../../helpers/sqlite.ts";

/**
 * Config files as users write them, loaded by the public loadConfig() of the built package in a
 * plain Node process (no --import tsx: the test runner's own loader must not help). The project
 * resolves "tickflow" to this checkout through node_modules/tickflow.
 */

let root: string;
let cleanup: () => void;

before(() => {
  ({ dir: root, cleanup } = tempDir("tickflow-user-module-"));
});
after(() => cleanup());

function projectWith(name: string, type: "module" | "commonjs", files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(resolve("."), join(dir, "node_modules", "tickflow"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, type }));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

/** loadConfig() in a fresh plain Node process in `dir`: the concurrency it read, or the error line. */
function loadIn(dir: string): { concurrency?: number; error?: string } {
  const script = `import { loadConfig } from "tickflow";
try { const c = await loadConfig(); console.log(JSON.stringify({ concurrency: c.concurrency })); }
catch (e) { console.log(JSON.stringify({ error: e.message })); }`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.TICKFLOW_CONFIG;
  delete env.TICKFLOW_CONCURRENCY;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

const CONFIG_TS = `import { defineConfig, type TickflowConfig } from "tickflow";
import { workers } from "./workers.ts";
const config: TickflowConfig = { concurrency: workers };
export default defineConfig(config);
`;

describe("user TypeScript: loadConfig() in plain Node, ES module and CommonJS packages", () => {
  it("an ES module package's tickflow.config.ts importing a local .ts file", () => {
    const dir = projectWith("esm", "module", {
      "tickflow.config.ts": CONFIG_TS,
      "workers.ts": "export const workers: number = 4;\n",
    });
    assert.deepEqual(loadIn(dir), { concurrency: 4 });
  });

  it("TypeScript beyond type stripping: an enum, a type imported as a value, an extensionless import", () => {
    const dir = projectWith("full-ts", "module", {
      "tickflow.config.ts": `import { defineConfig, TickflowConfig } from "tickflow";
import { workers } from "./workers";
enum Size { Small = 2, Large = workers }
const config: TickflowConfig = { concurrency: Size.Large };
export default defineConfig(config);
`,
      "workers.ts": "export const workers = 6;\n",
    });
    assert.deepEqual(loadIn(dir), { concurrency: 6 });
  });

  it("a CommonJS package's tickflow.config.mts (what init writes there)", () => {
    const dir = projectWith("cjs-mts", "commonjs", {
      "tickflow.config.mts": CONFIG_TS.replace("./workers.ts", "./workers.mts"),
      "workers.mts": "export const workers: number = 3;\n",
    });
    assert.deepEqual(loadIn(dir), { concurrency: 3 });
  });

  it("a CommonJS package's tickflow.config.ts written with import/export", () => {
    const dir = projectWith("cjs-ts", "commonjs", {
      "tickflow.config.ts": CONFIG_TS,
      "workers.ts": "export const workers: number = 5;\n",
    });
    assert.deepEqual(loadIn(dir), { concurrency: 5 });
  });

  it("a tickflow.config.cts written with require and module.exports", () => {
    const dir = projectWith("cts", "module", {
      "tickflow.config.cts": `const { defineConfig } = require("tickflow");
module.exports = defineConfig({ concurrency: 7 as number });
`,
    });
    assert.deepEqual(loadIn(dir), { concurrency: 7 });
  });

  it("CommonJS code in a .ts that loads as an ES module: one line naming the file to rename", () => {
    const dir = projectWith("wrong", "module", {
      "tickflow.config.ts": `const { defineConfig } = require("tickflow");
module.exports = defineConfig({ concurrency: 2 });
`,
    });
    const { error } = loadIn(dir);
    assert.ok(error, "loading fails");
    assert.equal(error.split("\n").length, 1, error);
    assert.match(
      error,
      /tickflow\.config\.ts uses CommonJS \(require\) .* rename it to tickflow\.config\.cts/,
    );
  });
});
