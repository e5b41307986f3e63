import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineCheck, hashToken, toCheckDefinitionRow } from "../../../src/checks/define-check.ts";

describe("defineCheck", () => {
  it("accepts every or cron + timezone, with a default grace", () => {
    const every = defineCheck({ key: "backup", every: "1h" });
    assert.deepEqual(
      [every.trigger, every.graceMs, every.tokenHash],
      [{ kind: "every", intervalMs: 3_600_000 }, 300_000, null],
    );
    const cron = defineCheck({ key: "report", cron: "0 3 * * *", timezone: "Europe/Berlin", grace: "10m" });
    assert.deepEqual(cron.trigger, { kind: "cron", expression: "0 3 * * *", timezone: "Europe/Berlin" });
  });

  it("reads a token from env and keeps only its hash", () => {
    const d = defineCheck({ key: "k", every: "1m", token: { env: "T" } }, { T: "a-very-long-token-123" });
    assert.equal(d.tokenHash, hashToken("a-very-long-token-123"));
    assert.equal(JSON.stringify(d).includes("a-very-long-token-123"), false);
  });

  it("a generated token is fresh per definition row, and only its hash and itself are stored", () => {
    const d = defineCheck({ key: "k", every: "1m" });
    const a = toCheckDefinitionRow(d);
    const b = toCheckDefinitionRow(d);
    assert.notEqual(a.generatedToken, b.generatedToken);
    assert.equal(a.generatedTokenHash, hashToken(a.generatedToken));
    assert.ok(a.generatedToken.length >= 24);
  });

  const bad: [unknown, RegExp][] = [
    [{ key: "x" }, /check "x": give exactly one of cron, every/],
    [{ key: "x", every: "1h", cron: "* * * * *" }, /give exactly one/],
    [{ key: "x", cron: "61 * * * *" }, /check "x": invalid cron expression/],
    [{ key: "x", cron: "* * * * *", timezone: "Mars/Base" }, /unknown time zone/],
    [{ key: "bad key", every: "1h" }, /key must be 1-64 letters/],
    [{ key: "x", every: "1h", grace: "soon" }, /check "x": grace/],
    [{ key: "x", every: "1h", evrey: "1h" }, /unknown option "evrey" \(did you mean "every"\?\)/],
    [{ key: "x", every: "1h", token: "short" }, /token must be at least 16 characters/],
    [{ key: "x", every: "1h", token: { env: "MISSING" } }, /environment variable MISSING is not set/],
    [null, /check: expected an object/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () =>
      assert.throws(() => defineCheck(input as never, {}), message));
  }
});
