import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, type Reply, startHttp, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";

const FORM = "application/x-www-form-urlencoded";
const work = defineJob("dash.report", async () => {});

const cookieOf = (reply: Reply) => {
  const header = reply.headers["set-cookie"];
  return (Array.isArray(header) ? header[0] : header)!.split(";")[0]!;
};

describe("dashboard: runtime schedules (filter, edit, delete; CSRF-checked)", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  let cookie: string;
  let csrf: string;
  const get = (path: string) => call(s.port, "GET", path, { token: null, headers: { cookie } });
  const post = (path: string, fields: Record<string, string>) =>
    call(s.port, "POST", path, {
      token: null,
      headers: { cookie, "content-type": FORM, origin: `http://127.0.0.1:${s.port}` },
      body: new URLSearchParams(fields).toString(),
    });
  const flash = async (path: string) => (await get(path)).text;

  before(async () => {
    s = await startHttp({}, { jobs: asJobs(work) });
    s.tickflow.defineSchedule({ key: "coded", job: work, every: "1h", owner: "ops" });
    await s.tickflow.syncSchedules();
    await s.tickflow.schedules.upsert({
      key: "acme-daily",
      job: work,
      cron: "0 9 * * *",
      tenant: "acme",
      labels: { plan: "pro" },
    });
    const login = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": FORM, origin: `http://127.0.0.1:${s.port}` },
      body: new URLSearchParams({ token: TOKEN, next: "/dashboard/schedules" }).toString(),
    });
    cookie = cookieOf(login);
    csrf = /name="_csrf" value="([^"]+)"/.exec((await get("/dashboard/schedules")).text)![1]!;
  });
  after(() => s.close());

  it("lists schedules with their source and metadata, filtered by source, tenant and label", async () => {
    const all = (await get("/dashboard/schedules")).text;
    assert.match(
      all,
      /acme-daily<\/a> <span[^>]*>runtime<\/span><br><span class="muted small">tenant acme · plan=pro/,
    );
    assert.match(all, /coded<\/a><br><span class="muted small">owner ops/);
    const runtime = (await get("/dashboard/schedules?source=runtime")).text;
    assert.ok(runtime.includes("acme-daily") && !runtime.includes(">coded<"));
    const byLabel = (await get("/dashboard/schedules?label=plan%3Afree")).text;
    assert.ok(!byLabel.includes("acme-daily") && !byLabel.includes(">coded<"));
    assert.ok((await get("/dashboard/schedules?tenant=acme")).text.includes("acme-daily"));
  });

  it("edits a runtime schedule only with the session's CSRF token; bad input is a message, nothing written", async () => {
    const page = (await get("/dashboard/schedules/acme-daily")).text;
    assert.match(page, /Edit this runtime schedule/);
    const fields = {
      job: "dash.report",
      cron: "30 9 * * *",
      timezone: "Europe/Berlin",
      misfire: "skip",
      overlap: "skip",
      tenant: "acme",
      labels: "plan=pro, region=eu",
    };
    assert.equal((await post("/dashboard/schedules/acme-daily/edit", fields)).status, 403, "no CSRF token");
    let stored = await s.tickflow.schedules.get("acme-daily");
    assert.deepEqual(stored?.trigger, { kind: "cron", expression: "0 9 * * *", timezone: "UTC" });
    const saved = await post("/dashboard/schedules/acme-daily/edit", { ...fields, _csrf: csrf });
    assert.equal(saved.status, 303);
    assert.match(
      await flash("/dashboard/schedules/acme-daily"),
      /Schedule acme-daily is saved \(trigger, misfire, labels\)/,
    );
    stored = await s.tickflow.schedules.get("acme-daily");
    assert.deepEqual(stored?.trigger, { kind: "cron", expression: "30 9 * * *", timezone: "Europe/Berlin" });
    assert.deepEqual(stored?.labels, { plan: "pro", region: "eu" });
    await post("/dashboard/schedules/acme-daily/edit", { ...fields, timezone: "Mars/Base", _csrf: csrf });
    assert.match(
      await flash("/dashboard/schedules/acme-daily"),
      /unknown time zone &quot;Mars\/Base&quot;|unknown time zone "Mars\/Base"/,
    );
    assert.deepEqual((await s.tickflow.schedules.get("acme-daily"))?.trigger, {
      kind: "cron",
      expression: "30 9 * * *",
      timezone: "Europe/Berlin",
    });
  });

  it("offers no edit for a code schedule and refuses one posted anyway", async () => {
    assert.doesNotMatch((await get("/dashboard/schedules/coded")).text, /Edit this runtime schedule/);
    await post("/dashboard/schedules/coded/edit", { job: "dash.report", every: "1m", _csrf: csrf });
    assert.match(await flash("/dashboard/schedules/coded"), /declared in code/);
    await post("/dashboard/schedules/coded/delete", { _csrf: csrf });
    assert.equal((await s.tickflow.schedules.get("coded"))?.source, "code");
  });

  it("deletes a runtime schedule (CSRF-checked)", async () => {
    assert.equal((await post("/dashboard/schedules/acme-daily/delete", {})).status, 403);
    assert.ok(await s.tickflow.schedules.get("acme-daily"));
    const deleted = await post("/dashboard/schedules/acme-daily/delete", { _csrf: csrf });
    assert.deepEqual([deleted.status, deleted.headers.location], [303, "/dashboard/schedules"]);
    assert.equal(await s.tickflow.schedules.get("acme-daily"), null);
  });
});
