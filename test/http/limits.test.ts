import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, type Reply, startHttp, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

const FORM = "application/x-www-form-urlencoded";
const gates: (() => void)[] = [];
const held = defineJob("lim.held", () => new Promise<void>((resolve) => gates.push(resolve)));
const other = defineJob("lim.other", async () => {});

const cookieOf = (reply: Reply) => {
  const header = reply.headers["set-cookie"];
  return (Array.isArray(header) ? header[0] : header)!.split(";")[0]!;
};

/** Limits and per-type switches through the API, the metrics and the dashboard (real HTTP). */
describe("limits over HTTP: API, metrics, dashboard", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    s = await startHttp(
      {},
      {
        jobs: asJobs(held, other),
        tickflow: { limits: [{ queue: "tenants", concurrency: 2, perKey: 1 }], concurrency: 5 },
      },
    );
    await s.tickflow.enqueueMany(
      ["a", "a", "b", "c"].map((key) => ({
        type: held,
        payload: {},
        options: { queue: "tenants", concurrencyKey: key },
      })),
    );
    await waitFor(() => gates.length === 2, "two held jobs to run");
  });
  after(async () => {
    for (const open of gates) open();
    await s.close();
  });

  it("GET /api/v1/limits shows running, per-key usage and why jobs wait", async () => {
    const reply = await call(s.port, "GET", "/api/v1/limits");
    assert.equal(reply.status, 200);
    const [limit] = reply.json().limits;
    assert.deepEqual(limit.scope, { queue: "tenants" });
    assert.equal(limit.running, 2);
    assert.equal(limit.waiting, 2);
    assert.equal(limit.waitingBy.concurrency, 2);
    assert.equal(
      limit.keys.reduce((n: number, k: { running: number }) => n + k.running, 0),
      2,
    );
    const jobs = (await call(s.port, "GET", "/api/v1/jobs?queue=tenants")).json().jobs;
    assert.deepEqual(jobs.map((j: { concurrencyKey: string }) => j.concurrencyKey).sort(), [
      "a",
      "a",
      "b",
      "c",
    ]);
  });

  it("disables and enables a type through the API; a disabled type's jobs wait", async () => {
    const off = await call(s.port, "POST", "/api/v1/types/lim.other/disable");
    assert.deepEqual(off.json(), { type: "lim.other", disabled: true, changed: true });
    const id = await s.tickflow.enqueue(other, {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await s.tickflow.getJob(id))?.state, "available", "a disabled type's job waits");
    const types = (await call(s.port, "GET", "/api/v1/types")).json().types;
    assert.deepEqual(
      types.find((t: { type: string }) => t.type === "lim.other"),
      { type: "lim.other", disabled: true },
    );
    const on = await call(s.port, "POST", "/api/v1/types/lim.other/enable");
    assert.equal(on.json().changed, true);
    await waitFor(
      async () => (await s.tickflow.getJob(id))?.state === "succeeded",
      "the job to run once enabled",
    );
    const bad = await call(s.port, "POST", "/api/v1/types/no%20such/disable");
    assert.equal(bad.status, 400);
  });

  it("exposes limit gauges on /metrics", async () => {
    const text = (await call(s.port, "GET", "/metrics")).text;
    assert.match(text, /tickflow_limit_running\{limit="queue:tenants"\} 2/);
    assert.match(text, /tickflow_limit_max\{limit="queue:tenants",kind="concurrency"\} 2/);
    assert.match(text, /tickflow_limit_waiting\{limit="queue:tenants",reason="concurrency"\} 2/);
    assert.match(text, /tickflow_limit_key_running\{limit="queue:tenants",key="[abc]"\} 1/);
  });

  it("the dashboard's limits page shows usage and switches a type off and on", async () => {
    const login = await call(s.port, "POST", "/dashboard/login", {
      token: null,
      headers: { "content-type": FORM, origin: `http://127.0.0.1:${s.port}` },
      body: new URLSearchParams({ token: TOKEN, next: "/dashboard/limits" }).toString(),
    });
    const cookie = cookieOf(login);
    const page = await call(s.port, "GET", "/dashboard/limits", { token: null, headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.text, /queue:tenants/);
    assert.match(page.text, /2 concurrency/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const post = await call(s.port, "POST", "/dashboard/types/lim.other/disable", {
      token: null,
      headers: { cookie, "content-type": FORM, origin: `http://127.0.0.1:${s.port}` },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    assert.equal(post.status, 303);
    assert.deepEqual(
      (await s.tickflow.limits.disabledTypes()).map((t) => t.type),
      ["lim.other"],
    );
    const after = await call(s.port, "GET", "/dashboard/limits", { token: null, headers: { cookie } });
    assert.match(after.text, /Job type lim.other is disabled/);
    await s.tickflow.limits.enableType("lim.other");
  });
});
