import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, html, raw } from "../../src/dashboard/html.ts";
import { mountPath } from "../../src/dashboard/mount-path.ts";
import { csrfMatches, isSameOriginRequest, safeNextPath } from "../../src/dashboard/session.ts";

describe("dashboard sessions: CSRF tokens", () => {
  it("compares CSRF tokens exactly, whatever their type or length", () => {
    const session = { csrf: "c".repeat(43) };
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
    assert.equal(csrfMatches(session, "d".repeat(43)), false, "another session's token");
  });
});

describe("dashboard mount path", () => {
  it("at /dashboard translates nothing", () => {
    const m = mountPath("/dashboard");
    assert.equal(m.translates, false);
    assert.equal(m.outbound("/dashboard/jobs"), "/dashboard/jobs");
    assert.equal(m.outboundHtml('<a href="/dashboard/jobs">'), '<a href="/dashboard/jobs">');
  });

  it("elsewhere translates requests in, and links, redirects and cookie path out", () => {
    const m = mountPath("/admin/jobs");
    assert.equal(m.inbound("/admin/jobs"), "/dashboard");
    assert.equal(m.inbound("/admin/jobs/flows/x?before=5"), "/dashboard/flows/x?before=5");
    assert.equal(m.inbound("/admin/jobsx"), "/admin/jobsx", "only the path itself, not a longer name");
    assert.equal(
      m.outbound("/dashboard/login?next=%2Fdashboard%2Fjobs"),
      "/admin/jobs/login?next=%2Fdashboard%2Fjobs",
    );
    assert.equal(m.outbound("/dashboard"), "/admin/jobs");
    const page = html`<a href="/dashboard">home</a><form action="/dashboard/jobs/1/retry"></form>
<link href="/dashboard/static/dashboard.css?v=1"><p>${'<a href="/dashboard/evil">'}</p>`;
    assert.equal(
      m.outboundHtml(page.value),
      `<a href="/admin/jobs">home</a><form action="/admin/jobs/jobs/1/retry"></form>
<link href="/admin/jobs/static/dashboard.css?v=1"><p>&lt;a href=&quot;/dashboard/evil&quot;&gt;</p>`,
      "markup is translated; text (escaped by html) never is",
    );
  });

  it("refuses the root and paths with odd characters, in one line", () => {
    for (const bad of ["", "/", "admin", "/admin/", "/a b", "/a//b"]) {
      assert.throws(() => mountPath(bad), /dashboard: it is mounted at .*give it a path of its own/, bad);
    }
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
