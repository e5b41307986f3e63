import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, html, raw } from "../../src/dashboard/html.ts";
import {
  csrfMatches,
  isSameOriginRequest,
  parseCookies,
  SessionStore,
  safeNextPath,
  sessionCookie,
} from "../../src/dashboard/session.ts";

describe("dashboard sessions", () => {
  it("creates random 32-byte ids, finds them, and destroys them", () => {
    const store = new SessionStore();
    const a = store.create();
    const b = store.create();
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/, "32 bytes in base64url");
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.session.csrf, b.session.csrf);
    assert.equal(store.get(a.id), a.session);
    store.destroy(a.id);
    assert.equal(store.get(a.id), null);
    assert.equal(store.get(b.id), b.session);
  });

  it("refuses unknown, malformed and missing ids", () => {
    const store = new SessionStore();
    store.create();
    for (const id of [undefined, "", "x", "a".repeat(43), "a".repeat(44), "../../etc/passwd"]) {
      assert.equal(store.get(id), null, String(id));
    }
  });

  it("expires a session after the idle limit, and after the absolute limit even when used", () => {
    let now = 1_000_000;
    const store = new SessionStore({ now: () => now, idleMs: 1_000, maxMs: 5_000 });
    const idle = store.create();
    now += 1_001;
    assert.equal(store.get(idle.id), null, "idle too long");
    const busy = store.create();
    for (let i = 0; i < 5; i++) {
      now += 900;
      assert.ok(store.get(busy.id), `still alive after ${i + 1} uses`);
    }
    now += 900; // 5.4 s after creation: past the absolute limit although used 900 ms ago
    assert.equal(store.get(busy.id), null);
  });

  it("keeps at most maxSessions, dropping the oldest", () => {
    const store = new SessionStore({ maxSessions: 3 });
    const ids = [1, 2, 3, 4].map(() => store.create().id);
    assert.equal(store.size, 3);
    assert.equal(store.get(ids[0]), null);
    assert.ok(store.get(ids[3]));
  });

  it("compares CSRF tokens exactly, whatever their type or length", () => {
    const { session } = new SessionStore().create();
    assert.equal(csrfMatches(session, session.csrf), true);
    for (const bad of [
      undefined,
      null,
      "",
      `${session.csrf}x`,
      session.csrf.slice(1),
      42,
      [session.csrf],
      "x".repeat(500),
    ]) {
      assert.equal(csrfMatches(session, bad), false, String(bad));
    }
    const other = new SessionStore().create().session;
    assert.equal(csrfMatches(session, other.csrf), false, "another session's token");
  });

  it("writes an HttpOnly, SameSite=Strict cookie scoped to /dashboard, Secure over https", () => {
    const plain = sessionCookie("abc", { maxAgeSeconds: 60, secure: false });
    assert.equal(plain, "tickflow_session=abc; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=60");
    assert.match(sessionCookie("abc", { maxAgeSeconds: 60, secure: true }), /; Secure$/);
    assert.match(sessionCookie("", { maxAgeSeconds: 0, secure: false }), /^tickflow_session=; .*Max-Age=0/);
  });

  it("parses cookie headers", () => {
    const cookies = parseCookies('a=1; tickflow_session=xyz; b="quoted"; tickflow_session=second; junk');
    assert.equal(cookies.get("tickflow_session"), "xyz", "first occurrence wins");
    assert.equal(cookies.get("b"), "quoted");
    assert.equal(parseCookies(undefined).size, 0);
  });
});

describe("dashboard cross-origin protection", () => {
  const base = { method: "POST", protocol: "http", host: "127.0.0.1:7070" };
  it("passes safe methods always", () => {
    assert.equal(
      isSameOriginRequest({ ...base, method: "GET", secFetchSite: "cross-site", origin: "http://evil" }),
      true,
    );
  });
  it("trusts Sec-Fetch-Site first: only same-origin passes", () => {
    assert.equal(isSameOriginRequest({ ...base, secFetchSite: "same-origin", origin: undefined }), true);
    for (const site of ["cross-site", "same-site", "none"]) {
      assert.equal(
        isSameOriginRequest({ ...base, secFetchSite: site, origin: "http://127.0.0.1:7070" }),
        false,
        site,
      );
    }
  });
  it("else compares Origin with this server's scheme and host", () => {
    assert.equal(
      isSameOriginRequest({ ...base, secFetchSite: undefined, origin: "http://127.0.0.1:7070" }),
      true,
    );
    assert.equal(
      isSameOriginRequest({ ...base, secFetchSite: undefined, origin: "HTTP://127.0.0.1:7070" }),
      true,
    );
    for (const origin of ["http://evil.example", "https://127.0.0.1:7070", "http://127.0.0.1:7071", "null"]) {
      assert.equal(isSameOriginRequest({ ...base, secFetchSite: undefined, origin }), false, origin);
    }
    assert.equal(
      isSameOriginRequest({
        ...base,
        protocol: "https",
        secFetchSite: undefined,
        origin: "https://127.0.0.1:7070",
      }),
      true,
    );
    assert.equal(
      isSameOriginRequest({ ...base, host: undefined, secFetchSite: undefined, origin: "http://x" }),
      false,
    );
  });
  it("leaves requests with neither header to the CSRF token", () => {
    assert.equal(isSameOriginRequest({ ...base, secFetchSite: undefined, origin: undefined }), true);
  });
  it("only redirects to dashboard paths after login", () => {
    assert.equal(safeNextPath("/dashboard/flows/etl?before=12"), "/dashboard/flows/etl?before=12");
    assert.equal(safeNextPath("/dashboard"), "/dashboard");
    for (const bad of [
      "//evil.example",
      "https://evil.example",
      "/dashboard//evil",
      "/dashboard/\\evil",
      "/api/v1/jobs",
      "/dashboardx",
      "/dashboard/login",
      5,
    ]) {
      assert.equal(safeNextPath(bad), "/dashboard", String(bad));
    }
  });
});

describe("dashboard HTML escaping", () => {
  it("escapes interpolated text and attributes, keeps nested html", () => {
    const evil = `<script>alert("x")</script>' onmouseover='y' \``;
    assert.equal(
      escapeHtml(evil),
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y&#39; &#96;",
    );
    const out =
      html`<p title="${evil}">${evil}${html`<b>${"&"}</b>`}${raw("<i>ok</i>")}${null}${false}${[1, "<"]}</p>`
        .value;
    assert.ok(!out.includes("<script>"));
    assert.ok(out.includes("<b>&amp;</b><i>ok</i>1&lt;</p>"));
  });
});
