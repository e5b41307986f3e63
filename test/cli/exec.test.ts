import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { assertOneLineError, runCli, runCliAsync } from "../helpers/cli.ts";
import { call, startHttp } from "../helpers/http.ts";
import { tempDir } from "../helpers/sqlite.ts";

const failing = ["sh", "-c", "echo starting; echo 'disk full' >&2; exit 3"];

describe("tickflow exec and tickflow checks (CLI)", () => {
  const { dir, cleanup } = tempDir();
  const file = join(dir, "t.db");
  const env = {
    TICKFLOW_DATABASE_URL: `sqlite:${file}`,
    TICKFLOW_CONFIG: join(process.cwd(), "test/fixtures/empty.config.ts"),
  };
  let store: SqliteStore;
  let tickflow: Tickflow;
  before(async () => {
    store = new SqliteStore(file);
    tickflow = new Tickflow(store, { checks: [{ key: "backup", every: "1h" }] }, true);
    await store.migrate();
    await tickflow.syncSchedules();
  });
  after(async () => {
    await tickflow.stop();
    cleanup();
  });

  it("a failing command is recorded as its exit code with its output tail, and exec exits with that code", async () => {
    const result = runCli(dir, ["exec", "backup", "--", ...failing], env);
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stdout, /starting/, "the output passes through");
    assert.match(result.stderr, /disk full/);
    const [end, start] = await tickflow.checks.pings("backup");
    assert.deepEqual([start?.kind, end?.kind, end?.exitCode], ["start", "exit", 3]);
    assert.match(end!.body, /starting\s+disk full/);
    assert.equal((await tickflow.checks.get("backup"))?.state, "down");
  });

  it("a succeeding command makes the check up, with its run time", async () => {
    const result = runCli(dir, ["exec", "backup", "--", "sh", "-c", "sleep 0.2; echo done"], env);
    assert.equal(result.status, 0, result.stderr);
    const check = await tickflow.checks.get("backup");
    assert.equal(check?.state, "up");
    assert.ok((check?.lastDurationMs ?? 0) >= 200, `run time ${check?.lastDurationMs}`);
  });

  it("a command that cannot start exits 127 and is recorded", async () => {
    const result = runCli(dir, ["exec", "backup", "--", "/no/such/binary"], env);
    assert.equal(result.status, 127);
    const [end] = await tickflow.checks.pings("backup");
    assert.deepEqual([end?.kind, end?.exitCode], ["exit", 127]);
  });

  it("an unknown check is one clear line, and the command does not run", () => {
    const result = runCli(dir, ["exec", "nope", "--", "sh", "-c", "echo ran"], env);
    assertOneLineError(result, /no check "nope" is stored/);
    assert.doesNotMatch(result.stdout, /ran/);
  });

  it("tickflow checks lists states; --show-tokens prints the generated ping path", () => {
    const result = runCli(dir, ["checks", "--show-tokens"], env);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /backup\s+down/);
    assert.match(result.stdout, /\/ping\/[A-Za-z0-9_-]{20,}/);
    assert.doesNotMatch(runCli(dir, ["checks"], env).stdout, /\/ping\//);
  });

  it("tickflow silence, silences, unsilence, incidents: one clear line on bad input", async () => {
    assertOneLineError(
      runCli(dir, ["silence", "--rule", "nope", "--for", "1h", "--reason", "deploy"], env),
      /silence: no alert rule "nope"/,
    );
    assertOneLineError(
      runCli(dir, ["silence", "--subject", "check:backup", "--reason", "x"], env),
      /until must be a time in the future/,
    );
    const made = runCli(
      dir,
      ["silence", "--subject", "check:backup", "--for", "2h", "--reason", "storage move"],
      env,
    );
    assert.equal(made.status, 0, made.stderr);
    const id = /\(id ([0-9a-f-]{36})\)/.exec(made.stdout)?.[1];
    assert.ok(id, made.stdout);
    assert.match(runCli(dir, ["silences", "--active"], env).stdout, /check:backup\s.*storage move/);
    assert.equal(runCli(dir, ["unsilence", id], env).status, 0);
    assert.match(runCli(dir, ["silences", "--active"], env).stdout, /\(none\)/);
    const incidents = runCli(dir, ["incidents", "--json"], env);
    assert.equal(incidents.status, 0, incidents.stderr);
    assert.deepEqual(JSON.parse(incidents.stdout), []);
    assertOneLineError(runCli(dir, ["incident", "999"], env), /incident "999"/);
  });

  it("--url pings over HTTP", async () => {
    const token = "http-exec-token-0123456789";
    const h = await startHttp({}, { tickflow: { checks: [{ key: "remote", every: "1h", token }] } });
    try {
      const url = `http://127.0.0.1:${h.port}/ping/${token}`;
      const result = await runCliAsync(dir, ["exec", "remote", "--url", url, "--", ...failing], {});
      assert.equal(result.status, 3, result.stderr);
      const [end, start] = await h.tickflow.checks.pings("remote");
      assert.deepEqual([start?.kind, end?.kind, end?.exitCode], ["start", "exit", 3]);
      assert.match(end!.body, /disk full/);
      // A receiver that refuses (wrong token) does not change the command's exit code.
      const wrong = await runCliAsync(dir, ["exec", "remote", "--url", `${url}x`, "--", "true"], {});
      assert.equal(wrong.status, 0);
      assert.match(wrong.stderr, /the ping failed/);
      assert.doesNotMatch(wrong.stderr, new RegExp(token), "the token is not printed");
      assert.equal((await call(h.port, "GET", "/ping/x", { token: null })).status, 404);
    } finally {
      await h.close();
    }
  });
});
