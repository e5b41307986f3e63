import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { defineJob } from "../../src/runtime/registry.ts";
import { call, startHttp } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const ran: string[] = [];
const mail = defineJob<{ to: string }>("mail.send", async (payload) => void ran.push(payload.to), {
  queue: "mail",
});

describe("queue pause and resume over /api/v1", () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  before(async () => {
    s = await startHttp({}, { jobs: asJobs(mail) });
  });
  after(() => s.close());

  it("a paused queue's jobs wait (the worker runs), resume lets them run; both idempotent", async () => {
    const paused = await call(s.port, "POST", "/api/v1/queues/mail/pause");
    assert.deepEqual(paused.json(), { queue: "mail", paused: true, changed: true });
    assert.equal((await call(s.port, "POST", "/api/v1/queues/mail/pause")).json().changed, false);
    assert.deepEqual(
      (await call(s.port, "GET", "/api/v1/queues/paused"))
        .json()
        .paused.map((p: { queue: string }) => p.queue),
      ["mail"],
    );
    await s.tickflow.enqueue(mail, { to: "a@example.com" });
    await sleep(500); // ten poll intervals of the running worker pool
    assert.deepEqual(ran, [], "not claimed while paused");
    const resumed = await call(s.port, "POST", "/api/v1/queues/mail/resume");
    assert.deepEqual(resumed.json(), { queue: "mail", paused: false, changed: true });
    await waitFor(() => ran.length === 1, "the waiting job to run after resume");
    assert.equal((await call(s.port, "POST", "/api/v1/queues/mail/resume")).json().changed, false);
  });

  it("refuses a bad queue name with 400", async () => {
    const reply = await call(s.port, "POST", "/api/v1/queues/bad%20name/pause");
    assert.equal(reply.status, 400);
    assert.match(reply.json().error.message, /queue: not a valid queue name/);
  });
});
