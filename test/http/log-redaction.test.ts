import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { call, startHttp, TOKEN } from "../helpers/http.ts";

const FORM = "application/x-www-form-urlencoded";

/**
 * Every refusal path, each request carrying a secret in its query string (the way a cron job
 * calls `POST /heartbeat?token=…`): none of the secrets may reach a log line.
 */
describe("query strings never reach the logs", () => {
  it("on every refusal path of the API and the dashboard, and on accepted requests", async () => {
    const s = await startHttp(
      { allowedIps: ["127.0.0.1", "::1", "::ffff:127.0.0.1"] },
      { tickflow: { flows: [defineFlow({ name: "tiny", run: async () => {} })] } },
    );
    try {
      const origin = `http://127.0.0.1:${s.port}`;
      // 403: the address is not allowed.
      assert.equal(
        (await call(s.port, "POST", "/heartbeat?token=SECRET-allowlist", { localAddress: "127.0.0.2" }))
          .status,
        403,
      );
      // 401: no bearer token.
      assert.equal(
        (await call(s.port, "GET", "/api/v1/queues?token=SECRET-401", { token: null })).status,
        401,
      );
      // 404: no such route.
      assert.equal((await call(s.port, "GET", "/nope?token=SECRET-404")).status, 404);
      // 202: accepted, logged at debug with its route.
      assert.equal((await call(s.port, "POST", "/heartbeat?token=SECRET-heartbeat")).status, 202);
      // Dashboard: a wrong login.
      const refused = await call(s.port, "POST", "/dashboard/login?token=SECRET-login", {
        token: null,
        headers: { "content-type": FORM, origin },
        body: new URLSearchParams({ token: "wrong-token-0123456789" }).toString(),
      });
      assert.equal(refused.status, 401);
      // Dashboard: log in, then an action without its CSRF token, and a cross-site one.
      const login = await call(s.port, "POST", "/dashboard/login", {
        token: null,
        headers: { "content-type": FORM, origin },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      const cookie = String([login.headers["set-cookie"]].flat()[0]).split(";")[0]!;
      const noCsrf = await call(s.port, "POST", "/dashboard/flows/tiny/trigger?token=SECRET-csrf", {
        token: null,
        headers: { cookie, "content-type": FORM, origin },
        body: "",
      });
      assert.equal(noCsrf.status, 403);
      const crossSite = await call(s.port, "POST", "/dashboard/flows/tiny/trigger?token=SECRET-cross", {
        token: null,
        headers: { cookie, "content-type": FORM, origin: "http://evil.example" },
        body: "",
      });
      assert.equal(crossSite.status, 403);

      const leaked = s.logs.filter((line) => line.includes("SECRET"));
      assert.deepEqual(leaked, [], "no secret from a query string in the log");
      // The refusals are still logged, with the path and the query marked as redacted.
      const line = (message: string) => s.logs.find((l) => l.includes(message));
      assert.match(line("address not allowed") ?? "", /"url":"\/heartbeat\?\[redacted\]"/);
      assert.match(
        line("CSRF token missing or wrong") ?? "",
        /"url":"\/dashboard\/flows\/tiny\/trigger\?\[redacted\]"/,
      );
      assert.match(
        line("cross-site request refused") ?? "",
        /"url":"\/dashboard\/flows\/tiny\/trigger\?\[redacted\]"/,
      );
      assert.ok(line("login refused"), "the refused login is logged");
      assert.ok(
        s.logs.some((l) => l.includes('"url":"/nope?[redacted]"')),
        "an unmatched route is logged without its query",
      );
    } finally {
      await s.close();
    }
  });

  it("on the rate-limit refusal", async () => {
    const s = await startHttp({ rateLimit: { max: 1, window: "1m" } });
    try {
      await call(s.port, "GET", "/api/v1/queues?token=SECRET-first");
      assert.equal((await call(s.port, "GET", "/api/v1/queues?token=SECRET-429")).status, 429);
      assert.deepEqual(
        s.logs.filter((line) => line.includes("SECRET")),
        [],
      );
    } finally {
      await s.close();
    }
  });
});
