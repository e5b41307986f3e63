import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, startHttp } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

const report = defineJob("rt.report", async () => {});

describe("HTTP: runtime schedules (PUT and DELETE /api/v1/schedules/:key)", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  const put = (key: string, body: unknown, token?: string | null) =>
    call(s.port, "PUT", `/api/v1/schedules/${key}`, { body: JSON.stringify(body), token });
  before(async () => {
    s = await startHttp({}, { jobs: asJobs(report) });
    s.tickflow.defineSchedule({ key: "from-code", job: report, every: "1h" });
    await s.tickflow.syncSchedules();
  });
  after(() => s.close());

  it("creates (201), changes (200) and removes a runtime schedule, which then fires no more", async () => {
    const body = {
      job: "rt.report",
      every: "200ms",
      payload: { customer: 7 },
      tenant: "acme",
      labels: { plan: "pro" },
    };
    let reply = await put("acme-report", body);
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.json().status, "created");
    assert.equal(reply.json().schedule.source, "runtime");
    assert.deepEqual(reply.json().schedule.labels, { plan: "pro" });
    await waitFor(
      async () => (await s.tickflow.listTicks("acme-report")).length >= 2,
      "two ticks of the new schedule",
    );
    reply = await put("acme-report", { ...body, every: "1h" });
    assert.equal(reply.status, 200);
    assert.deepEqual([reply.json().status, reply.json().changed], ["updated", ["trigger"]]);
    reply = await put("acme-report", { ...body, every: "1h" });
    assert.deepEqual([reply.status, reply.json().status], [200, "unchanged"]);
    const listed = (
      await call(s.port, "GET", "/api/v1/schedules?source=runtime&tenant=acme&label=plan:pro")
    ).json();
    assert.deepEqual(
      listed.schedules.map((x: { key: string }) => x.key),
      ["acme-report"],
    );
    const none = (await call(s.port, "GET", "/api/v1/schedules?label=plan:free")).json();
    assert.deepEqual(none.schedules, []);
    reply = await call(s.port, "DELETE", "/api/v1/schedules/acme-report");
    assert.deepEqual([reply.status, reply.json()], [200, { removed: "acme-report" }]);
    assert.equal((await call(s.port, "GET", "/api/v1/schedules/acme-report")).status, 404);
    assert.equal((await call(s.port, "DELETE", "/api/v1/schedules/acme-report")).status, 404);
  });

  it("refuses bad input with one line naming what is wrong, writing nothing", async () => {
    const cases: [unknown, RegExp][] = [
      [{ job: "rt.report", cron: "61 * * * *" }, /cron|minute|61/i],
      [
        { job: "rt.report", cron: "0 9 * * *", timezone: "Mars/Olympus" },
        /unknown time zone "Mars\/Olympus"/,
      ],
      [{ job: "no.such.job", every: "1m" }, /unknown job type "no\.such\.job"/],
      [{ job: "rt.report" }, /give exactly one of cron, every or at/],
      [{ job: "rt.report", every: "1m", colour: "red" }, /body colour/],
      [{ job: "rt.report", every: "1m", misfire: "sometimes" }, /misfire must be one of/],
      [{ job: "rt.report", every: "1m", labels: { "bad name": "x" } }, /label name "bad name"/],
    ];
    for (const [body, message] of cases) {
      const reply = await put("bad-one", body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(reply.json().error.message, message);
      assert.doesNotMatch(reply.json().error.message, /\n/);
    }
    assert.equal((await call(s.port, "GET", "/api/v1/schedules/bad-one")).status, 404);
    assert.equal((await put("bad%20key", { job: "rt.report", every: "1m" })).status, 400);
  });

  it("a code schedule cannot be changed or removed at run time (409)", async () => {
    const reply = await put("from-code", { job: "rt.report", every: "1m" });
    assert.equal(reply.status, 409);
    assert.match(reply.json().error.message, /declared in code/);
    assert.equal((await call(s.port, "DELETE", "/api/v1/schedules/from-code")).status, 409);
    const stored = (await call(s.port, "GET", "/api/v1/schedules/from-code")).json();
    assert.deepEqual([stored.schedule.source, stored.schedule.trigger.intervalMs], ["code", 3_600_000]);
  });

  it("needs the bearer token like every write route", async () => {
    assert.equal((await put("tokenless", { job: "rt.report", every: "1m" }, null)).status, 401);
    assert.equal((await call(s.port, "DELETE", "/api/v1/schedules/from-code", { token: null })).status, 401);
    assert.equal((await call(s.port, "GET", "/api/v1/schedules/tokenless")).status, 404);
  });
});
