import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, OTHER_TOKEN, startHttp, TOKEN } from "../helpers/http.ts";

type Server = Awaited<ReturnType<typeof startHttp>>;

describe("HTTP security", () => {
  describe("bearer tokens", () => {
    let s: Server;
    before(async () => {
      s = await startHttp({ tokens: [TOKEN, OTHER_TOKEN] });
    });
    after(() => s.close());

    it("accepts either configured token (rotation) and refuses missing, wrong or other-scheme ones", async () => {
      assert.equal((await call(s.port, "GET", "/api/v1/queues")).status, 200);
      assert.equal((await call(s.port, "GET", "/api/v1/queues", { token: OTHER_TOKEN })).status, 200);
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: "Bearer wrong-token-0000000000" },
        { authorization: `Basic ${TOKEN}` },
        { authorization: TOKEN },
      ]) {
        const reply = await call(s.port, "GET", "/api/v1/queues", { token: null, headers });
        assert.equal(reply.status, 401, JSON.stringify(headers));
        assert.equal(reply.json().error.code, "UNAUTHORIZED");
        assert.equal(reply.headers["www-authenticate"], 'Bearer realm="tickflow"');
      }
    });

    it("answers unknown routes, malformed JSON and oversized bodies with JSON errors", async () => {
      const missing = await call(s.port, "GET", "/nope");
      assert.equal(missing.status, 404);
      assert.equal(missing.json().error.code, "NOT_FOUND");
      const bad = await call(s.port, "POST", "/api/v1/jobs/1/retry", { body: "{not json" });
      assert.equal(bad.status, 400);
      assert.equal(bad.json().error.code, "INVALID_JSON");
      const big = await call(s.port, "POST", "/api/v1/jobs/1/retry", {
        body: JSON.stringify({ x: "a".repeat(70_000) }),
      });
      assert.equal(big.status, 413);
      assert.equal(big.json().error.code, "BODY_TOO_LARGE");
    });

    it("never writes a token or an authorization header into a log line or an answer", async () => {
      await call(s.port, "GET", "/api/v1/queues", { token: "leaky-wrong-token-123456" });
      const reply = await call(s.port, "GET", "/health");
      assert.doesNotMatch(reply.text, /token-/);
      const all = s.logs.join("\n");
      assert.ok(all.includes("HTTP request"), "requests are logged");
      for (const secret of [TOKEN, OTHER_TOKEN, "leaky-wrong-token-123456", "Bearer"])
        assert.ok(!all.includes(secret), secret);
    });
  });

  it("refuses every protected route when no token is configured, and logs a warning naming TICKFLOW_TOKEN", async () => {
    const s = await startHttp({ tokens: [] });
    try {
      const reply = await call(s.port, "GET", "/api/v1/queues", { token: "anything-at-all-123456" });
      assert.equal(reply.status, 401);
      assert.match(reply.json().error.message, /TICKFLOW_TOKEN/);
      assert.ok(s.logs.some((l) => l.includes("TICKFLOW_TOKEN") && l.includes('"level":40')));
      assert.equal((await call(s.port, "GET", "/health", { token: null })).status, 200);
    } finally {
      await s.close();
    }
  });

  it("enforces the IP allow-list on the real peer address, IPv4, IPv6 and IPv4-mapped", async () => {
    const s = await startHttp({ allowedIps: ["127.0.0.1/32", "::1"] });
    try {
      assert.equal((await call(s.port, "GET", "/api/v1/queues", { localAddress: "127.0.0.1" })).status, 200);
      const outside = await call(s.port, "GET", "/api/v1/queues", { localAddress: "127.0.0.2" });
      assert.equal(outside.status, 403);
      assert.equal(outside.json().error.code, "FORBIDDEN");
      // The server listens on [::]: an IPv4 client arrives as ::ffff:127.0.0.1 and matches 127.0.0.1/32.
      assert.equal((await call(s.port, "GET", "/health", { host: "127.0.0.1" })).status, 200);
      assert.equal((await call(s.port, "GET", "/api/v1/queues", { host: "::1" })).status, 200);
    } finally {
      await s.close();
    }
  });

  it("ignores X-Forwarded-For from an untrusted peer and honours it from a trusted proxy, right to left", async () => {
    const s = await startHttp({ allowedIps: ["10.1.2.3"], trustedProxies: ["127.0.0.1", "10.9.0.0/16"] });
    try {
      // Trusted proxy 127.0.0.1 → hops read right to left, skipping trusted 10.9.x: the client is 10.1.2.3.
      const viaProxy = await call(s.port, "GET", "/api/v1/queues", {
        localAddress: "127.0.0.1",
        headers: { "x-forwarded-for": "6.6.6.6, 10.1.2.3, 10.9.0.5" },
      });
      assert.equal(viaProxy.status, 200);
      // The same header from an untrusted peer (127.0.0.2) is ignored: the peer itself is not allowed.
      const spoofed = await call(s.port, "GET", "/api/v1/queues", {
        localAddress: "127.0.0.2",
        headers: { "x-forwarded-for": "10.1.2.3" },
      });
      assert.equal(spoofed.status, 403);
      // A client that prepends an allowed address gets nothing: the rightmost untrusted hop counts.
      const prepended = await call(s.port, "GET", "/api/v1/queues", {
        localAddress: "127.0.0.1",
        headers: { "x-forwarded-for": "10.1.2.3, 6.6.6.6" },
      });
      assert.equal(prepended.status, 403);
    } finally {
      await s.close();
    }
  });

  it("rate limits per client with 429", async () => {
    const s = await startHttp({ rateLimit: { max: 5, window: "1m" } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await call(s.port, "GET", "/api/v1/queues")).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await call(s.port, "GET", "/api/v1/queues");
      assert.equal(limited.json().error.code, "RATE_LIMITED");
      assert.match(limited.json().error.message, /^too many requests: at most 5 per /, "the 429 says why");
      // Another client address has its own budget.
      assert.equal((await call(s.port, "GET", "/api/v1/queues", { localAddress: "127.0.0.3" })).status, 200);
    } finally {
      await s.close();
    }
  });
});
