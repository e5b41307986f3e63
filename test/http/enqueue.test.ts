import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, startHttp } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";

const invoice = defineJob<{ customer: string }>("invoice.send", async () => {});

describe("POST /api/v1/jobs", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    s = await startHttp({}, { jobs: asJobs(invoice), start: { worker: false, scheduler: false } });
  });
  after(() => s.close());
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    call(s.port, "POST", "/api/v1/jobs", { body: JSON.stringify(body), headers });

  it("enqueues a registered type with its payload and options (202, the job)", async () => {
    const reply = await post({
      type: "invoice.send",
      payload: { customer: "c-1" },
      queue: "billing",
      delay: "1m",
    });
    assert.equal(reply.status, 202, reply.text);
    const { job } = reply.json();
    assert.equal(job.type, "invoice.send");
    assert.equal(job.queue, "billing");
    assert.equal(job.state, "scheduled");
    assert.deepEqual(job.payload, { customer: "c-1" });
    assert.equal((await s.tickflow.getJob(job.id))?.queue, "billing", "stored");
  });

  it("with an idempotency key, a repeated request answers the same job and adds none", async () => {
    const first = await post(
      { type: "invoice.send", payload: { customer: "c-2" } },
      { "idempotency-key": "inv-42" },
    );
    const again = await post(
      { type: "invoice.send", payload: { customer: "c-2" } },
      { "idempotency-key": "inv-42" },
    );
    const viaBody = await post({ type: "invoice.send", payload: { customer: "c-2" }, key: "inv-42" });
    assert.equal(first.status, 202);
    assert.equal(again.json().job.id, first.json().job.id);
    assert.equal(viaBody.json().job.id, first.json().job.id);
    const keyed = (await s.tickflow.queries.listJobs({ type: "invoice.send", limit: 50 })).filter(
      (j) => j.key === "inv-42",
    );
    assert.equal(keyed.length, 1);
  });

  it("refuses bad input with one 400 naming the problem, and writes nothing", async () => {
    const before = (await s.tickflow.queries.listJobs({ limit: 500 })).length;
    for (const [body, pattern] of [
      [{ type: "no.such.type" }, /unknown job type "no\.such\.type"/],
      [{ type: "invoice.send", colour: "red" }, /body colour/],
      [{ type: "invoice.send", runAt: "2030-01-01T00:00:00Z", delay: 5 }, /runAt or delay, not both/],
      [{ payload: {} }, /body type/],
    ] as const) {
      const reply = await post(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.match(reply.json().error.message, pattern);
    }
    assert.equal((await s.tickflow.queries.listJobs({ limit: 500 })).length, before);
  });
});
