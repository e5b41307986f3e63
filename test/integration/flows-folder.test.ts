import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { mergeEnv } from "../../src/config/load.ts";
import type { TickflowConfig } from "../../src/config/schema.ts";
import { ConfigError, InvalidFlowError } from "../../src/errors.ts";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { loadFlowsFromDir } from "../../src/flows/load-flows.ts";
import { defineSchedule } from "../../src/runtime/schedules.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { createTickflow, Tickflow } from "../../src/tickflow.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const SRC = pathToFileURL(resolve("src/index.ts")).href;

/** A temp folder with the given files; returns its path and a fresh database file beside it. */
function folder(files: Record<string, string>): { dir: string; db: string; cleanup(): void } {
  const t = tempDir("tickflow-flows-");
  const dir = join(t.dir, "flows");
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, db: join(t.dir, "tickflow.db"), cleanup: t.cleanup };
}

const flowFile = (name: string, extra = "") =>
  `import { defineFlow } from "${SRC}";\nexport default defineFlow({ name: "${name}", ${extra} async run() {} });\n`;

describe("the flows folder", () => {
  it("loads every flow file (one flow or an array each), skipping helpers, tests and declarations", async () => {
    const f = folder({
      "a-orders.ts": flowFile("orders", 'queue: "etl",'),
      "b-many.ts": `import { defineFlow } from "${SRC}";\nexport default [\n  defineFlow({ name: "customers", schedule: "0 * * * *", async run() {} }),\n  defineFlow({ name: "invoices", retries: 0, async run() {} }),\n];\n`,
      "c-plain.mjs": flowFile("plain-js"),
      "_shared.ts": 'throw new Error("a helper must not be loaded as a flow");\n',
      "orders.test.ts": 'throw new Error("a test must not be loaded as a flow");\n',
      "types.d.ts": "export type X = number;\n",
      "README.md": "# flows\n",
    });
    const tf = await createTickflow({ databaseUrl: `sqlite:${f.db}`, flowsDir: f.dir, pollIntervalMs: 20 });
    try {
      await tf.start();
      assert.deepEqual(tf.flows.names(), ["customers", "invoices", "orders", "plain-js"]);
      const listed = await tf.flows.list();
      assert.deepEqual(
        listed.map((x) => [x.name, x.queue, x.retries, x.schedule?.kind ?? null, x.defined]),
        [
          ["customers", "default", 2, "cron", true],
          ["invoices", "default", 0, null, true],
          ["orders", "etl", 2, null, true],
          ["plain-js", "default", 2, null, true],
        ],
      );
      const { runId } = await tf.flows.trigger("plain-js");
      await waitFor(async () => (await tf.flows.run(runId))?.status === "success", "a folder flow to run");
    } finally {
      await tf.stop(0);
      f.cleanup();
    }
  });

  it("a bad flow in the folder stops start() with a clear error before anything is written", async () => {
    const f = folder({
      "good.ts": flowFile("good"),
      "bad.ts": flowFile("bad-queue", 'queue: "not a queue",'),
    });
    const tf = await createTickflow({ databaseUrl: `sqlite:${f.db}`, flowsDir: f.dir });
    try {
      await assert.rejects(tf.start(), (error: unknown) => {
        assert.ok(error instanceof InvalidFlowError, String(error));
        assert.match(
          error.message,
          /flow file .*bad\.ts: could not load: flow "bad-queue": invalid queue name "not a queue"/,
        );
        return true;
      });
    } finally {
      await tf.stop(0);
    }
    const store = new SqliteStore(f.db);
    try {
      const pending = await store.pendingMigrations();
      assert.ok(
        pending.some((m) => m.name === "flows"),
        "not even migrated: nothing was written",
      );
    } finally {
      await store.close();
      f.cleanup();
    }
  });

  it("rejects files whose default export is not a flow, and a name defined twice, naming the files", async () => {
    const notAFlow = folder({ "oops.ts": "export default { name: 'x', run() {} };\n" });
    const twice = folder({ "one.ts": flowFile("same"), "two.ts": flowFile("same") });
    const empty = folder({ "none.ts": "export const x = 1;\n" });
    try {
      await assert.rejects(
        loadFlowsFromDir(notAFlow.dir),
        /oops\.ts: its default export must be a defineFlow\(…\) result/,
      );
      await assert.rejects(loadFlowsFromDir(empty.dir), /none\.ts: its default export must be/);
      await assert.rejects(
        loadFlowsFromDir(twice.dir),
        /flow "same" is defined twice: in .*one\.ts and .*two\.ts/,
      );
    } finally {
      notAFlow.cleanup();
      twice.cleanup();
      empty.cleanup();
    }
  });

  it("a missing folder is an error unless optional (the default ./flows)", async () => {
    await assert.rejects(loadFlowsFromDir("/nonexistent/tickflow/flows"), /flows folder .* does not exist/);
    assert.deepEqual(await loadFlowsFromDir("/nonexistent/tickflow/flows", { optional: true }), []);
  });
});

describe("flow definitions given to createTickflow", () => {
  it("refuses a flow defined twice and a flow whose schedule key is taken, before anything is written", async () => {
    const t = tempDir();
    const store = new SqliteStore(join(t.dir, "tickflow.db"));
    try {
      const a = defineFlow({ name: "a", schedule: "1m", async run() {} });
      const a2 = defineFlow({ name: "a", async run() {} });
      assert.throws(() => new Tickflow(store, { flows: [a, a2] }, false), /flow "a" is defined twice/);
      const schedule = defineSchedule({ key: "a", job: "tickflow.flow-run", every: "1m" });
      assert.throws(
        () => new Tickflow(store, { schedules: [schedule], flows: [a] }, false),
        /flow "a": its schedule key "a" is already used by another schedule/,
      );
      assert.throws(() => new Tickflow(store, { flows: [{ name: "x" } as never] }, false), InvalidFlowError);
      assert.ok((await store.pendingMigrations()).length > 0, "nothing written");
    } finally {
      await store.close();
      t.cleanup();
    }
  });
});

describe("flow configuration", () => {
  it("reads flows, flowsDir and flow run retention from the file and the environment", () => {
    const flow = defineFlow({ name: "cfg", async run() {} });
    const defaults = mergeEnv({}, {});
    assert.deepEqual(defaults.flows, []);
    assert.equal(defaults.flowsDir, undefined, "the default ./flows, optional");
    assert.equal(defaults.flowRunRetentionMs, 30 * 86_400_000);
    assert.equal(defaults.flowRunsKept, 1_000);
    const file: TickflowConfig = {
      flows: [flow],
      flowsDir: "./etl/flows",
      flowRunRetention: "7d",
      flowRunsKept: 50,
    };
    const fromFile = mergeEnv(file, {});
    assert.deepEqual(fromFile.flows, [flow]);
    assert.equal(fromFile.flowsDir, "./etl/flows");
    assert.equal(fromFile.flowRunRetentionMs, 7 * 86_400_000);
    assert.equal(fromFile.flowRunsKept, 50);
    const fromEnv = mergeEnv(file, {
      TICKFLOW_FLOWS_DIR: "/srv/flows",
      TICKFLOW_FLOW_RUN_RETENTION: "forever",
    });
    assert.equal(fromEnv.flowsDir, "/srv/flows");
    assert.equal(fromEnv.flowRunRetentionMs, null);
  });

  it("names the key of a bad flow setting", () => {
    const problems = (file: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
      try {
        mergeEnv(file as TickflowConfig, env);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join("\n");
      }
      assert.fail("expected a ConfigError");
    };
    assert.match(problems({ flows: [{ name: "x" }] }), /flows\.0: expected defineFlow\(…\) results/);
    assert.match(
      problems({}, { TICKFLOW_FLOW_RUN_RETENTION: "soon" }),
      /TICKFLOW_FLOW_RUN_RETENTION: .*not a duration/,
    );
    assert.match(problems({ flowRunsKept: 0 }), /flowRunsKept/);
    assert.match(problems({ flowDir: "./flows" }), /unknown key "flowDir" \(did you mean "flowsDir"\?\)/);
  });
});
