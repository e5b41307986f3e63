import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineFlow } from "../../src/flows/define-flow.ts";
import { call, startHttp, TOKEN } from "../helpers/http.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("dashboard: a failed flow run is one failure, shown under its flow's name", () => {
  it("counts the failed run once (not again as a discarded tickflow.flow-run job) and names the flow on the job", async () => {
    const broken = defineFlow({
      name: "nightly-export",
      retries: 0,
      run: async () => {
        throw new Error("export target refused the upload");
      },
    });
    const s = await startHttp({}, { tickflow: { flows: [broken] } });
    try {
      await s.tickflow.flows.trigger("nightly-export");
      await waitFor(
        async () =>
          (await s.tickflow.store.queries.listJobs({ states: ["discarded"], limit: 5 })).length === 1,
        "the flow-run job discarded",
        10_000,
      );
      const login = await call(s.port, "POST", "/dashboard/login", {
        token: null,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: `http://127.0.0.1:${s.port}`,
        },
        body: new URLSearchParams({ token: TOKEN, next: "/dashboard" }).toString(),
      });
      const cookie = String([login.headers["set-cookie"]].flat()[0]).split(";")[0]!;
      const get = (path: string) => call(s.port, "GET", path, { token: null, headers: { cookie } });
      const overview = (await get("/dashboard")).text;
      const failures = overview.slice(overview.indexOf('id="overview-failures"'));
      assert.match(
        failures,
        /<strong class="big">1<\/strong> failed flow runs · <strong class="big">0<\/strong> discarded jobs/,
      );
      const [job] = await s.tickflow.store.queries.listJobs({ states: ["discarded"], limit: 1 });
      const jobs = (await get("/dashboard/jobs?state=discarded")).text;
      assert.match(jobs, /flow nightly-export <span class="muted small">tickflow\.flow-run<\/span>/);
      assert.match((await get(`/dashboard/jobs/${job!.id}`)).text, /<dd>flow nightly-export/);
    } finally {
      await s.close();
    }
  });
});
