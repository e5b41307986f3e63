import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, startHttp, TOKEN } from "../helpers/http.ts";

const FORM = "application/x-www-form-urlencoded";
const CHECK_TOKEN = "dashboard-check-token-0123456789";

describe("dashboard: check-ins on the overview, the alerts page and its silences", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  let cookie: string;
  let csrf: string;
  const origin = () => `http://127.0.0.1:${s.port}`;
  const get = (path: string) => call(s.port, "GET", path, { token: null, headers: { cookie } });
  const post = (path: string, fields: Record<string, string>) =>
    call(s.port, "POST", path, {
      token: null,
      headers: { cookie, "content-type": FORM, origin: origin() },
      body: new URLSearchParams(fields).toString(),
    });

  before(async () => {
    s = await startHttp(
      {},
      {
        tickflow: {
          checks: [{ key: "backup", every: "1h", token: CHECK_TOKEN }],
          alerts: {
            channels: { hook: { kind: "webhook", url: "http://127.0.0.1:9/hooks/secret-hook-path" } },
            rules: [{ name: "backup-down", when: "check", target: "backup", channels: ["hook"] }],
          },
        },
      },
    );
    const reply = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": FORM, origin: origin() },
      body: new URLSearchParams({ token: TOKEN, next: "/dashboard" }).toString(),
    });
    cookie = String([reply.headers["set-cookie"]].flat()[0]).split(";")[0]!;
    csrf = /name="_csrf" value="([^"]+)"/.exec((await get("/dashboard")).text)![1]!;
  });
  after(() => s.close());

  it("shows check-ins beside schedules and flows with their health badge and ping strip", async () => {
    await s.tickflow.checks.pingByToken(CHECK_TOKEN, "fail", { body: "boom" });
    const overview = await get("/dashboard");
    assert.equal(overview.status, 200);
    assert.match(overview.text, /<tr data-health="down" data-subject="check:backup">/);
    assert.match(overview.text, /aria-label="fail"/);
    assert.match(overview.text, /No open incident\./);
  });

  it("the alerts page lists rules and channels without secrets; a silence is created and ended from it", async () => {
    const page = await get("/dashboard/alerts");
    assert.equal(page.status, 200);
    assert.match(page.text, /backup-down/);
    assert.equal(page.text.includes("secret-hook-path"), false);
    const created = await post("/dashboard/alerts/silences", {
      _csrf: csrf,
      rule: "backup-down",
      subject: "",
      for: "2h",
      reason: "restore test",
    });
    assert.equal(created.status, 303);
    const [silence] = await s.tickflow.alerts.silences({ active: true });
    assert.equal(silence?.reason, "restore test");
    assert.match((await get("/dashboard/alerts")).text, new RegExp(`data-silence="${silence!.id}"`));
    const bad = await post("/dashboard/alerts/silences", {
      _csrf: csrf,
      rule: "nope",
      for: "2h",
      reason: "x",
    });
    assert.equal(bad.status, 303);
    assert.match(
      (await get("/dashboard/alerts")).text,
      /no alert rule &quot;nope&quot;|no alert rule "nope"/,
    );
    assert.equal((await s.tickflow.alerts.silences()).length, 1, "nothing written");
    assert.equal((await post(`/dashboard/alerts/silences/${silence!.id}/end`, { _csrf: csrf })).status, 303);
    assert.deepEqual(await s.tickflow.alerts.silences({ active: true }), []);
    assert.equal(
      (await post("/dashboard/alerts/silences", { _csrf: "wrong", for: "1h", reason: "x", subject: "a" }))
        .status,
      403,
    );
  });
});
