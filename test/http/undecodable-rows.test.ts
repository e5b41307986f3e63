import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { defineJob } from "../../src/runtime/registry.ts";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { call, startHttp, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";

const work = defineJob("undecodable.work", async () => {});

describe("REST API: one undecodable stored row", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  let raw: (sql: string) => void;
  before(async () => {
    s = await startHttp({}, { jobs: asJobs(work), tickflow: { pollIntervalMs: 60_000 } });
    const file = (s.tickflow.store as SqliteStore).file;
    raw = (sql) => {
      const db = new Database(file);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    };
  });
  after(() => s.close());

  it("is listed marked undecodable; the list answers 200, not 400 INVALID_JSON or 500", async () => {
    const good = await s.tickflow.enqueue(work, { ok: true }, { delay: "1h", queue: "undecodable" });
    const notJson = await s.tickflow.enqueue(work, {}, { delay: "1h", queue: "undecodable" });
    const farFuture = await s.tickflow.enqueue(work, {}, { delay: "1h", queue: "undecodable" });
    raw(`UPDATE jobs SET payload = 'not json {' WHERE id = ${notJson}`);
    // What `delay: "99999999d"` once stored: a time no Date can show.
    raw(`UPDATE jobs SET run_at = 8640000000000001 + 99999999 WHERE id = ${farFuture}`);
    const reply = await call(s.port, "GET", "/api/v1/jobs?queue=undecodable");
    assert.equal(reply.status, 200, reply.text);
    const jobs = new Map(reply.json().jobs.map((j: { id: string }) => [j.id, j]));
    assert.deepEqual((jobs.get(good) as { payload: unknown; undecodable: unknown }).undecodable, null);
    assert.match(
      String((jobs.get(notJson) as { undecodable: string }).undecodable),
      /payload is not valid JSON/,
    );
    assert.equal((jobs.get(notJson) as { payload: unknown }).payload, "not json {");
    const far = jobs.get(farFuture) as { runAt: unknown; undecodable: string };
    assert.equal(far.runAt, null);
    assert.match(far.undecodable, /the stored runAt \(\d+\) is not a valid time/);
    assert.equal((await call(s.port, "GET", `/api/v1/jobs/${notJson}`)).status, 200);
    // The dashboard lists and shows them too (a session from the login form).
    const login = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: `http://127.0.0.1:${s.port}` },
      body: new URLSearchParams({ token: TOKEN, next: "/dashboard/jobs" }).toString(),
    });
    const setCookie = login.headers["set-cookie"];
    const cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(";")[0]!;
    const page = (path: string) => call(s.port, "GET", path, { token: null, headers: { cookie } });
    const list = await page("/dashboard/jobs?queue=undecodable");
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /unshowable time/);
    for (const id of [notJson, farFuture]) assert.equal((await page(`/dashboard/jobs/${id}`)).status, 200);
  });

  it("a schedule with a trigger that does not parse is listed as broken", async () => {
    s.tickflow.defineSchedule({ key: "undecodable-sched", job: work, every: "1h" });
    await s.tickflow.syncSchedules();
    raw("UPDATE schedules SET trigger = 'garbage' WHERE id = 'undecodable-sched'");
    const reply = await call(s.port, "GET", "/api/v1/schedules");
    assert.equal(reply.status, 200, reply.text);
    const sched = reply.json().schedules.find((x: { key: string }) => x.key === "undecodable-sched");
    assert.equal(sched.state, "broken");
    assert.equal(sched.trigger, null);
    assert.match(sched.broken, /stored trigger is not valid JSON/);
    const health = (await call(s.port, "GET", "/health")).json();
    assert.equal(health.components.schedules.broken[0].key, "undecodable-sched");
    const metrics = (await call(s.port, "GET", "/metrics")).text;
    assert.match(metrics, /tickflow_schedule_broken\{schedule="undecodable-sched"\} 1/);
  });

  it("a request body that is not JSON still answers 400 INVALID_JSON", async () => {
    const reply = await call(s.port, "POST", "/api/v1/jobs", {
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.json().error.code, "INVALID_JSON");
  });
});
