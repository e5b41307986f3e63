import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { assertOneLineError, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/sqlite.ts";

/** `tickflow enqueue`: the CLI counterpart of POST /api/v1/jobs, on the config's job types. */
describe("tickflow enqueue (CLI)", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const db = join(dir, "t.db");
  const env = {
    TICKFLOW_DATABASE_URL: `sqlite:${db}`,
    TICKFLOW_CONFIG: join(process.cwd(), "test/fixtures/crash.config.ts"),
  };
  const cli = (args: string[]) => runCli(process.cwd(), args, env);

  it("enqueues with payload and options, prints the id; a repeated key prints the same id", () => {
    assert.equal(cli(["migrate"]).status, 0);
    const first = cli([
      "enqueue",
      "fixture.hang-once",
      '{"ms":1}',
      "--queue",
      "slow",
      "--delay",
      "1h",
      "--key",
      "k-1",
    ]);
    assert.equal(first.status, 0, first.stderr);
    const id = first.stdout.trim();
    assert.match(id, /^\d+$/);
    const again = cli(["enqueue", "fixture.hang-once", '{"ms":1}', "--key", "k-1", "--json"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).id, id);
    const read = new Database(db, { readonly: true });
    try {
      const rows = read.prepare("SELECT queue, state, payload FROM jobs").all() as {
        queue: string;
        state: string;
        payload: string;
      }[];
      assert.deepEqual(rows, [{ queue: "slow", state: "scheduled", payload: '{"ms":1}' }]);
    } finally {
      read.close();
    }
  });

  it("tickflow queues pause / resume: for every process on the database, idempotent", () => {
    assert.equal(
      cli(["queues", "pause", "slow"]).stdout.trim(),
      "queue slow paused: its jobs wait until it is resumed",
    );
    assert.equal(cli(["queues", "pause", "slow"]).stdout.trim(), "queue slow was already paused");
    const read = new Database(db, { readonly: true });
    try {
      assert.deepEqual(read.prepare("SELECT queue, monitor FROM queue_gates").all(), [
        { queue: "slow", monitor: "tickflow:paused" },
      ]);
    } finally {
      read.close();
    }
    assert.equal(
      cli(["queues", "resume", "slow"]).stdout.trim(),
      "queue slow resumed: its waiting jobs run again",
    );
    assertOneLineError(cli(["queues", "pause", "bad name"]), /invalid queue name "bad name"/);
  });

  it("refuses a payload that is not JSON and an unknown type in one line", () => {
    assertOneLineError(cli(["enqueue", "fixture.hang-once", "{nope"]), /payload: not JSON/);
    assertOneLineError(cli(["enqueue", "no.such"]), /unknown job type "no\.such"/);
  });
});
