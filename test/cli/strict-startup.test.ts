import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spawnTickflow } from "../helpers/process.ts";

/** `tickflow start` with a bad setting stops before anything is written, naming the setting. */
describe("tickflow start refuses non-canonical allow-lists and out-of-range durations", () => {
  const cases: [env: Record<string, string>, expected: RegExp][] = [
    [
      { TICKFLOW_ALLOWED_IPS: "010.0.0.0/8" },
      /TICKFLOW_ALLOWED_IPS: "010\.0\.0\.0\/8" is not canonical IPv4/,
    ],
    [{ TICKFLOW_TRUSTED_PROXIES: "127.1" }, /TICKFLOW_TRUSTED_PROXIES: "127\.1" is not canonical IPv4/],
    [{ TICKFLOW_ALLOWED_IPS: " , " }, /TICKFLOW_ALLOWED_IPS: the list has only blank entries/],
    [{ TICKFLOW_POLL_INTERVAL: "30d" }, /TICKFLOW_POLL_INTERVAL: must be at most 2147483647ms/],
  ];
  for (const [env, expected] of cases) {
    it(JSON.stringify(env), async () => {
      const dir = mkdtempSync(join(tmpdir(), "tickflow-strict-"));
      try {
        const database = join(dir, "t.db");
        const p = spawnTickflow(["start", "-c", "test/fixtures/empty.config.ts"], {
          TICKFLOW_DATABASE_URL: `sqlite:${database}`,
          ...env,
        });
        const code = await p.exited;
        assert.notEqual(code, 0, p.output());
        assert.match(p.output(), expected);
        assert.equal(existsSync(database), false, "no database is created");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("TICKFLOW_LEASE=30000 (plain milliseconds) is accepted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tickflow-strict-"));
    try {
      const p = spawnTickflow(["start", "-c", "test/fixtures/empty.config.ts"], {
        TICKFLOW_DATABASE_URL: `sqlite:${join(dir, "t.db")}`,
        TICKFLOW_LEASE: "30000",
      });
      const deadline = Date.now() + 20_000;
      while (!/listening|started/i.test(p.output()) && Date.now() < deadline && p.child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(p.child.exitCode, null, p.output());
      p.child.kill("SIGTERM");
      assert.equal(await p.exited, 0, p.output());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
