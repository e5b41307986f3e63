import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { renderConfigFile, renderEnvExample } from "../../src/cli/templates/config-file.ts";
import { CONFIG_OPTIONS, ENV_ONLY_VARIABLES } from "../../src/cli/templates/config-reference.ts";
import { renderFlowFile, validateGeneratedFlowName } from "../../src/cli/templates/flow.ts";
import { loadConfig, mergeEnv } from "../../src/config/load.ts";
import type { FlowDefinition } from "../../src/flows/define-flow.ts";
import { tempDir } from "../helpers/sqlite.ts";

const INDEX = resolve("src/index.ts");

/** A temp folder that is an ES-module package (as `tickflow init` makes a project). */
function project(): { dir: string; cleanup(): void } {
  const t = tempDir("tickflow-gen-");
  writeFileSync(join(t.dir, "package.json"), '{ "type": "module" }\n');
  return t;
}

describe("generated tickflow.config.ts", () => {
  it("with every option uncommented, it configures exactly the defaults: the file cannot drift from the schema", async () => {
    const { dir, cleanup } = project();
    try {
      const text = renderConfigFile({ importFrom: INDEX, active: true });
      writeFileSync(join(dir, "tickflow.config.ts"), text);
      const loaded = await loadConfig({ cwd: dir, env: {} });
      assert.deepEqual(loaded, mergeEnv({}, {}));
      // Every option with a default is an active line; the others (unset by default) stay comments.
      for (const option of CONFIG_OPTIONS) {
        const name = option.key.split(".").at(-1)!;
        const value = option.default ?? option.example!;
        const line = text.split("\n").find((l) => l.trim().replace(/^\/\/\s*/, "") === `${name}: ${value},`);
        assert.ok(line, `${option.key} has a line`);
        assert.equal(line.trim().startsWith("//"), option.default === undefined, option.key);
      }
    } finally {
      cleanup();
    }
  });

  it("as tickflow init writes it (commented out) it loads, changes nothing, and names every environment variable", async () => {
    const { dir, cleanup } = project();
    try {
      const text = renderConfigFile({ importFrom: INDEX });
      writeFileSync(join(dir, "tickflow.config.ts"), text);
      assert.deepEqual(await loadConfig({ cwd: dir, env: {} }), mergeEnv({}, {}));
      for (const option of CONFIG_OPTIONS) if (option.env) assert.ok(text.includes(option.env), option.env);
      // Uncommenting one line is enough to change it (another file: modules are cached).
      writeFileSync(join(dir, "changed.config.ts"), text.replace("// concurrency: 10,", "concurrency: 3,"));
      assert.equal((await loadConfig({ cwd: dir, file: "changed.config.ts", env: {} })).concurrency, 3);
    } finally {
      cleanup();
    }
  });

  it(".env.example lists every environment variable, each commented out at its default", () => {
    const text = renderEnvExample();
    for (const option of CONFIG_OPTIONS) {
      if (option.env) assert.match(text, new RegExp(`^# ${option.env}=`, "m"), option.env);
    }
    for (const variable of ENV_ONLY_VARIABLES) assert.match(text, new RegExp(`^# ${variable.env}=`, "m"));
    assert.match(text, /^# TICKFLOW_DATABASE_URL=sqlite:\.\/tickflow\.db$/m);
    assert.match(text, /^# TICKFLOW_RATE_LIMIT=600\/1m$/m);
    // No line sets anything.
    assert.deepEqual(
      text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")),
      [],
    );
  });
});

describe("generated flow", () => {
  it("accepts valid flow names that the flows folder loads, and refuses the others with the reason", () => {
    for (const name of ["nightly-export", "a", "sync.customers", "x_1", "A9"]) {
      assert.equal(validateGeneratedFlowName(name), name);
    }
    const cases: [string, RegExp][] = [
      ["", /use 1-64 letters/],
      ["has space", /use 1-64 letters/],
      ["../escape", /use 1-64 letters/],
      ["a/b", /use 1-64 letters/],
      ["x".repeat(65), /use 1-64 letters/],
      ["_private", /not loaded/],
      [".hidden", /not loaded/],
      ["thing.test", /not loaded as flows/],
      ["thing.spec", /not loaded as flows/],
      ["types.d", /not loaded as flows/],
    ];
    for (const [name, message] of cases) {
      assert.throws(() => validateGeneratedFlowName(name), message, JSON.stringify(name));
    }
  });

  it("is a valid flow with the options given, and the defaults otherwise", async () => {
    const { dir, cleanup } = project();
    try {
      writeFileSync(join(dir, "plain.ts"), renderFlowFile({ name: "plain", importFrom: INDEX }));
      writeFileSync(
        join(dir, "custom.ts"),
        renderFlowFile({ name: "custom", importFrom: INDEX, schedule: "15m", queue: "etl", retries: 5 }),
      );
      const load = async (file: string) =>
        ((await import(pathToFileURL(join(dir, file)).href)) as { default: FlowDefinition }).default;
      const plain = await load("plain.ts");
      assert.equal(plain.name, "plain");
      assert.equal(plain.schedule, null);
      assert.equal(plain.queue, "default");
      assert.equal(plain.retries, 2);
      assert.equal(plain.timeoutMs, null);
      const custom = await load("custom.ts");
      assert.deepEqual(custom.schedule, { kind: "every", intervalMs: 900_000 });
      assert.equal(custom.queue, "etl");
      assert.equal(custom.retries, 5);
    } finally {
      cleanup();
    }
  });
});
