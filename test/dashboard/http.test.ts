import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, type Reply, startHttp, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

const FORM = "application/x-www-form-urlencoded";
const echo = defineJob("dash.echo", async () => {}, { maxAttempts: 1 });

function cookieFrom(reply: Reply): string {
  const header = reply.headers["set-cookie"];
  const first = Array.isArray(header) ? header[0] : header;
  assert.ok(first, "a Set-Cookie header");
  return first.split(";")[0]!;
}

async function login(port: number, headers: Record<string, string> = {}): Promise<Reply> {
  return call(port, "POST", "/dashboard/login", {
    token: null,
    headers: { "content-type": FORM, origin: `http://127.0.0.1:${port}`, ...headers },
    body: new URLSearchParams({ token: TOKEN, next: "/dashboard/jobs" }).toString(),
  });
}

describe("dashboard over HTTP: sessions, CSRF, headers, size", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  let cookie: string;
  let csrf: string;
  const origin = () => `http://127.0.0.1:${s.port}`;
  const get = (path: string, extra: Record<string, string> = {}) =>
    call(s.port, "GET", path, { token: null, headers: { cookie, ...extra } });
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(s.port, "POST", path, {
      token: null,
      headers: { cookie, "content-type": FORM, origin: origin(), ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  before(async () => {
    s = await startHttp(
      { trustedProxies: ["127.0.0.2"] },
      { jobs: asJobs(echo), tickflow: { flows: [defineFlow({ name: "tiny", run: async () => {} })] } },
    );
    const reply = await login(s.port);
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, "/dashboard/jobs");
    cookie = cookieFrom(reply);
    csrf = /name="_csrf" value="([^"]+)"/.exec((await get("/dashboard")).text)![1]!;
  });
  after(() => s.close());

  it("redirects pages and the script to the login page without a session; the login page and CSS are open", async () => {
    for (const path of [
      "/dashboard",
      "/dashboard/",
      "/dashboard/flows/tiny?before=5",
      "/dashboard/static/dashboard.js",
      "/dashboard/no-such-page",
    ]) {
      const reply = await call(s.port, "GET", path, { token: null });
      assert.equal(reply.status, 303, path);
      assert.match(String(reply.headers.location), /^\/dashboard\/login\?next=/, path);
    }
    // A bearer token is for the API: it opens no dashboard page.
    assert.equal((await call(s.port, "GET", "/dashboard")).status, 303);
    assert.equal((await call(s.port, "GET", "/dashboard/login", { token: null })).status, 200);
    const css = await call(s.port, "GET", "/dashboard/static/dashboard.css", { token: null });
    assert.equal(css.status, 200);
    assert.match(String(css.headers["content-type"]), /^text\/css/);
  });

  it("refuses a wrong token with 401 and sets no cookie", async () => {
    const reply = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": FORM, origin: origin() },
      body: "token=not-the-token-at-all",
    });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers["set-cookie"], undefined);
    assert.match(reply.text, /That token is not valid/);
    assert.ok(
      !s.logs.some((line) => line.includes("not-the-token-at-all")),
      "the submitted token is never logged",
    );
  });

  it("marks the cookie Secure when a trusted proxy says the client used https, not when anyone else does", async () => {
    const viaProxy = await login(s.port, {
      "x-forwarded-proto": "https",
      origin: `https://127.0.0.1:${s.port}`,
    });
    const proxied = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      localAddress: "127.0.0.2",
      headers: { "content-type": FORM, "x-forwarded-proto": "https", origin: `https://127.0.0.1:${s.port}` },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(proxied.status, 303);
    assert.match(String(proxied.headers["set-cookie"]), /; Secure/);
    // From a peer that is not a trusted proxy the header is ignored: the origin is http, the cookie not Secure.
    assert.equal(viaProxy.status, 403, "https Origin from an untrusted peer does not match http://");
    const direct = await login(s.port, { "x-forwarded-proto": "https" });
    assert.equal(direct.status, 303);
    assert.doesNotMatch(String(direct.headers["set-cookie"]), /Secure/);
  });

  it("sends security headers and no-store on pages", async () => {
    const reply = await get("/dashboard");
    assert.equal(reply.status, 200);
    const csp = String(reply.headers["content-security-policy"])
      .split(";")
      .map((d) => d.trim());
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ])
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp.join("; ")}`);
    assert.ok(!csp.some((d) => /unsafe-inline|unsafe-eval|upgrade-insecure/.test(d)), "nothing weaker");
    assert.equal(reply.headers["strict-transport-security"], undefined, "HSTS is the application's call");
    assert.equal(reply.headers["x-frame-options"], "DENY");
    assert.equal(reply.headers["x-content-type-options"], "nosniff");
    assert.equal(reply.headers["cache-control"], "no-store");
    assert.ok(!/<script>|style="|onclick=/i.test(reply.text), "no inline script or style");
  });

  it("needs the session's CSRF token and a same-origin request for every action", async () => {
    const path = "/dashboard/flows/tiny/trigger";
    assert.equal((await post(path, {})).status, 403, "no token");
    assert.equal((await post(path, { _csrf: `${csrf}x` })).status, 403, "wrong token");
    assert.equal(
      (await post(path, { _csrf: csrf }, { origin: "http://evil.example" })).status,
      403,
      "foreign Origin",
    );
    assert.equal((await post(path, { _csrf: csrf }, { origin: "null" })).status, 403, "opaque Origin");
    assert.equal((await post(path, { _csrf: csrf }, { "sec-fetch-site": "cross-site" })).status, 403);
    assert.equal((await post(path, { _csrf: csrf }, { "sec-fetch-site": "same-site" })).status, 403);
    assert.equal((await s.tickflow.flows.runs({ flow: "tiny" })).length, 0, "nothing was triggered");
    const ok = await post(path, { _csrf: csrf }, { "sec-fetch-site": "same-origin" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, "/dashboard/flows/tiny");
    assert.equal((await s.tickflow.flows.runs({ flow: "tiny" })).length, 1);
    // A cross-site login attempt (login CSRF) is refused as well.
    const forged = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": FORM, "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(forged.status, 403);
  });

  it("reports action errors as a message on the page, not a crash", async () => {
    const id = await s.tickflow.enqueue(echo, null, { delay: "1h" });
    const cancel = await post(`/dashboard/jobs/${id}/cancel`, { _csrf: csrf });
    assert.equal(cancel.status, 303);
    assert.equal(cancel.headers.location, `/dashboard/jobs/${id}`);
    assert.equal((await s.tickflow.getJob(id))?.state, "cancelled");
    assert.match(
      (await get(`/dashboard/jobs/${id}`)).text,
      /class="flash flash-ok" role="status">Job #\d+ is cancelled/,
    );
    const done = await s.tickflow.enqueue(echo);
    await waitFor(async () => (await s.tickflow.getJob(done))?.state === "succeeded", "the job to succeed");
    const again = await post(`/dashboard/jobs/${done}/retry`, { _csrf: csrf });
    assert.equal(again.status, 303);
    assert.match((await get(`/dashboard/jobs/${done}`)).text, /class="flash flash-error" role="alert"/);
    assert.equal((await post("/dashboard/flows/nope/trigger", { _csrf: csrf })).status, 303);
    assert.match((await get("/dashboard/flows")).text, /flash-error/);
  });

  it("escapes everything that comes from data", async () => {
    const id = await s.tickflow.enqueue(echo, {
      note: "<script>alert(1)</script>",
      q: '"><img src=x onerror=alert(1)>',
    });
    const page = await get(`/dashboard/jobs/${id}`);
    assert.ok(!page.text.includes("<script>alert(1)"));
    assert.ok(!page.text.includes("<img src=x"));
    assert.ok(page.text.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  });

  it("serves the first page, its stylesheet and script in well under 200 KB", async () => {
    const sizes = await Promise.all(
      ["/dashboard", "/dashboard/static/dashboard.css", "/dashboard/static/dashboard.js"].map(async (p) =>
        Buffer.byteLength((await get(p)).text),
      ),
    );
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(total < 200_000, `first page ${total} bytes`);
  });

  it("leaves the JSON API as it was: no form bodies there", async () => {
    const reply = await call(s.port, "POST", "/api/v1/flows/tiny/trigger", {
      headers: { "content-type": FORM },
      body: "a=1",
    });
    assert.equal(reply.status, 415);
  });

  it("applies the allow-list to the dashboard", async () => {
    const locked = await startHttp({ allowedIps: ["10.0.0.0/8"] });
    try {
      const reply = await call(locked.port, "GET", "/dashboard/login", { token: null });
      assert.equal(reply.status, 403);
    } finally {
      await locked.close();
    }
  });

  it("lets nobody in when no token is configured, and says why", async () => {
    const closed = await startHttp({ tokens: [] });
    try {
      const page = await call(closed.port, "GET", "/dashboard/login", { token: null });
      assert.match(page.text, /No API token is configured/);
      const reply = await call(closed.port, "POST", "/dashboard/login", {
        token: null,
        headers: { "content-type": FORM, origin: `http://127.0.0.1:${closed.port}` },
        body: "token=",
      });
      assert.equal(reply.status, 401);
      assert.equal(reply.headers["set-cookie"], undefined);
    } finally {
      await closed.close();
    }
  });

  it("logs out: the old cookie no longer works", async () => {
    const fresh = cookieFrom(await login(s.port));
    const page = await call(s.port, "GET", "/dashboard", { token: null, headers: { cookie: fresh } });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const out = await call(s.port, "POST", "/dashboard/logout", {
      token: null,
      headers: { cookie: fresh, "content-type": FORM, origin: origin() },
      body: new URLSearchParams({ _csrf: token }).toString(),
    });
    assert.equal(out.status, 303);
    assert.match(String(out.headers["set-cookie"]), /Max-Age=0/);
    assert.equal(
      (await call(s.port, "GET", "/dashboard", { token: null, headers: { cookie: fresh } })).status,
      303,
    );
    assert.equal((await get("/dashboard")).status, 200, "other sessions live on");
  });
});

describe("dashboard login back-off (per account)", () => {
  it("after five wrong tokens the login locks (429, Retry-After) even for the right token, then unlocks; a success resets it", async () => {
    const s = await startHttp();
    try {
      const attempt = (token: string, localAddress = "127.0.0.1") =>
        call(s.port, "POST", "/dashboard/login", {
          token: null,
          localAddress,
          headers: { "content-type": FORM, origin: `http://127.0.0.1:${s.port}` },
          body: new URLSearchParams({ token }).toString(),
        });
      const statuses: number[] = [];
      // Different client addresses: the per-address rate limit does not help, the account back-off does.
      for (let i = 0; i < 6; i++)
        statuses.push((await attempt(`wrong-token-${i}-0123456789`, `127.0.0.${i + 2}`)).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
      const locked = await attempt(TOKEN);
      assert.equal(locked.status, 429, "locked: not even the right token is looked at");
      assert.equal(locked.headers["retry-after"], "1");
      assert.match(locked.text, /Too many wrong tokens: try again in 1 s\./);
      assert.ok(s.logs.some((l) => l.includes("login refused (locked after repeated wrong tokens)")));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      assert.equal((await attempt(TOKEN)).status, 303, "the lock ends");
      // The success reset the count: five more wrong tokens are answered 401 again, not 429.
      for (let i = 0; i < 5; i++) assert.equal((await attempt("wrong-token-again-0123456789")).status, 401);
    } finally {
      await s.close();
    }
  });
});
