import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { badgePath } from "../../src/http/routes/badges.ts";
import { call, startHttp } from "../helpers/http.ts";

const TOKEN_BACKUP = "backup-token-0123456789";
const BADGE_SECRET = "badge-secret-0123456789";

describe("check-in endpoints, badges", () => {
  let h: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    h = await startHttp(
      { badgeSecret: BADGE_SECRET },
      {
        tickflow: {
          checks: [
            { key: "backup", every: "1h", grace: "5m", token: { env: "BACKUP_TOKEN" } },
            { key: "report", cron: "0 3 * * *", timezone: "Europe/Berlin" },
          ],
          env: { BACKUP_TOKEN: TOKEN_BACKUP },
        },
      },
    );
  });
  after(async () => h.close());

  const pings = () => h.tickflow.checks.pings("backup");

  it("a check starts new; start, then success records the run time and makes it up", async () => {
    assert.equal((await h.tickflow.checks.get("backup"))?.state, "new");
    const start = await call(h.port, "GET", `/ping/${TOKEN_BACKUP}/start`, { token: null });
    assert.equal(start.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const ok = await call(h.port, "POST", `/ping/${TOKEN_BACKUP}`, {
      token: null,
      headers: { "content-type": "text/plain" },
      body: "backed up 3 files",
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json().state, "up");
    const check = await h.tickflow.checks.get("backup");
    assert.equal(check?.state, "up");
    assert.ok((check?.lastDurationMs ?? 0) >= 20, `run time ${check?.lastDurationMs}`);
    const [latest] = await pings();
    assert.deepEqual(
      [latest?.kind, latest?.body, latest?.durationMs],
      ["success", "backed up 3 files", check?.lastDurationMs],
    );
  });

  it("/fail and a non-zero exit code make it down, with the body as the log; any content type", async () => {
    const failed = await call(h.port, "POST", `/ping/${TOKEN_BACKUP}/fail`, {
      token: null,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "disk full",
    });
    assert.equal(failed.status, 200);
    assert.equal(failed.json().state, "down");
    const exit = await call(h.port, "POST", `/ping/${TOKEN_BACKUP}/3`, {
      token: null,
      body: '{"not":"parsed"}',
    });
    assert.equal(exit.json().state, "down");
    const [latest, previous] = await pings();
    assert.deepEqual([latest?.kind, latest?.exitCode, latest?.body], ["exit", 3, '{"not":"parsed"}']);
    assert.deepEqual([previous?.kind, previous?.body], ["fail", "disk full"]);
    const zero = await call(h.port, "GET", `/ping/${TOKEN_BACKUP}/0`, { token: null });
    assert.equal(zero.json().state, "up");
  });

  it("a wrong token is a 404 that says nothing, and writes nothing", async () => {
    const before = (await pings()).length;
    for (const path of [
      "/ping/wrong-token-0123456789",
      "/ping/wrong-token-0123456789/start",
      `/ping/${TOKEN_BACKUP}/nope`,
      `/ping/${TOKEN_BACKUP}/256`,
    ]) {
      const reply = await call(h.port, "POST", path, { token: null, body: "x" });
      assert.equal(reply.status, 404, path);
      assert.deepEqual(reply.json(), { error: { code: "NOT_FOUND", message: "not found" } });
    }
    assert.equal((await pings()).length, before);
  });

  it("a body over 10 KB is refused with 413, nothing written; 10 KB is kept", async () => {
    const before = (await pings()).length;
    const big = await call(h.port, "POST", `/ping/${TOKEN_BACKUP}`, {
      token: null,
      headers: { "content-type": "text/plain" },
      body: "x".repeat(10 * 1024 + 1),
    });
    assert.equal(big.status, 413);
    assert.equal((await pings()).length, before);
    const fits = await call(h.port, "POST", `/ping/${TOKEN_BACKUP}`, {
      token: null,
      headers: { "content-type": "text/plain" },
      body: "y".repeat(10 * 1024),
    });
    assert.equal(fits.status, 200);
    assert.equal((await pings())[0]?.body.length, 10 * 1024);
  });

  it("a generated token works and the token never reaches a log line", async () => {
    const row = (await h.tickflow.queries.getCheck("report"))!;
    assert.ok(row.generatedToken && row.generatedToken.length >= 20);
    const reply = await call(h.port, "GET", `/ping/${row.generatedToken}`, { token: null });
    assert.equal(reply.status, 200);
    assert.equal((await h.tickflow.checks.get("report"))?.state, "up");
    const joined = h.logs.join("\n");
    assert.equal(joined.includes(TOKEN_BACKUP), false);
    assert.equal(joined.includes(row.generatedToken), false);
  });

  it("badges: an SVG per check behind its own key; a wrong key or no such check is a 404", async () => {
    const badge = await call(h.port, "GET", badgePath(BADGE_SECRET, "check", "backup"), { token: null });
    assert.equal(badge.status, 200);
    assert.match(String(badge.headers["content-type"]), /^image\/svg\+xml/);
    assert.match(badge.text, /^<svg [^>]*aria-label="backup: (up|down|late|new)"/);
    const other = badgePath(BADGE_SECRET, "check", "report").split("/").at(-1);
    const wrong = await call(h.port, "GET", `/badge/check/backup/${other}`, { token: null });
    assert.equal(wrong.status, 404, "the key of one badge does not open another");
    const missing = await call(h.port, "GET", badgePath(BADGE_SECRET, "check", "nope"), { token: null });
    assert.equal(missing.status, 404);
  });
});

describe("alert and check-in API", () => {
  let h: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    h = await startHttp(
      {},
      {
        tickflow: {
          checks: [{ key: "backup", every: "1h", token: TOKEN_BACKUP }],
          alerts: {
            channels: {
              hook: {
                kind: "webhook",
                url: "http://127.0.0.1:9/hooks/very-secret-path",
                secret: `whsec_${Buffer.from("0123456789abcdef").toString("base64")}`,
              },
            },
            rules: [{ name: "backup-down", when: "check", target: "backup", channels: ["hook"] }],
          },
        },
      },
    );
  });
  after(async () => h.close());

  it("lists checks without tokens, and channels without secrets", async () => {
    const checks = await call(h.port, "GET", "/api/v1/checks");
    assert.equal(checks.status, 200);
    assert.equal(checks.json().checks[0].key, "backup");
    assert.equal(checks.text.includes(TOKEN_BACKUP), false);
    assert.equal(checks.text.includes("Hash"), false);
    const alerts = await call(h.port, "GET", "/api/v1/alerts");
    assert.equal(alerts.json().channels[0].kind, "webhook");
    assert.equal(alerts.text.includes("very-secret-path"), false);
    assert.equal(alerts.text.includes("whsec_"), false);
    assert.equal((await call(h.port, "GET", "/api/v1/checks/nope")).status, 404);
    assert.equal((await call(h.port, "GET", "/api/v1/checks", { token: null })).status, 401);
  });

  it("silences: created, listed while active, ended; bad input is one clear 400 and writes nothing", async () => {
    const created = await call(h.port, "POST", "/api/v1/silences", {
      body: JSON.stringify({ rule: "backup-down", for: "2h", reason: "maintenance window" }),
    });
    assert.equal(created.status, 201, created.text);
    const id = created.json().silence.id;
    const active = await call(h.port, "GET", "/api/v1/silences?active=true");
    assert.deepEqual(
      active.json().silences.map((s: { id: string }) => s.id),
      [id],
    );
    const unknownRule = await call(h.port, "POST", "/api/v1/silences", {
      body: JSON.stringify({ rule: "nope", for: "1h", reason: "x" }),
    });
    assert.equal(unknownRule.status, 400);
    assert.match(unknownRule.json().error.message, /no alert rule "nope"/);
    const past = await call(h.port, "POST", "/api/v1/silences", {
      body: JSON.stringify({ subject: "check:backup", until: "2020-01-01T00:00:00Z", reason: "x" }),
    });
    assert.equal(past.status, 400);
    assert.equal(
      (await call(h.port, "GET", "/api/v1/silences")).json().silences.length,
      1,
      "nothing written",
    );
    assert.equal((await call(h.port, "DELETE", `/api/v1/silences/${id}`)).status, 204);
    assert.deepEqual((await call(h.port, "GET", "/api/v1/silences?active=true")).json().silences, []);
    assert.equal((await call(h.port, "GET", "/api/v1/incidents")).json().incidents.length, 0);
    assert.equal((await call(h.port, "GET", "/api/v1/incidents/12345")).status, 404);
  });
});
