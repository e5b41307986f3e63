import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { defineJob } from "../../src/runtime/registry.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { startHttp, TOKEN } from "../helpers/http.ts";
import { asJobs } from "../helpers/runtime.ts";
import { waitFor } from "../helpers/wait-for.ts";

const fine = defineJob("glance.fine", async () => {});
const broken = defineJob(
  "glance.broken",
  async () => {
    throw new Error("the export target refused the upload");
  },
  { maxAttempts: 1 },
);

/** Real time: schedules tick every second, their jobs run, the overview shows what happened. */
describe("dashboard overview at a glance, in headless Chromium", {
  skip: !hasChromium() && !process.env.CI ? "no /usr/bin/chromium" : false,
}, () => {
  let s: Awaited<ReturnType<typeof startHttp>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    s = await startHttp({}, { jobs: asJobs(fine, broken) });
    // Names chosen so that alphabetical order would put the failing one last.
    s.tickflow.defineSchedule({ key: "a-healthy", job: fine, every: "1s" });
    s.tickflow.defineSchedule({ key: "b-healthy", job: fine, every: "1s" });
    s.tickflow.defineSchedule({ key: "z-exports", job: broken, every: "1s" });
    await s.tickflow.syncSchedules();
    await waitFor(
      async () =>
        (await s.tickflow.liveness.scheduleReports()).find((r) => r.schedule.id === "z-exports")?.health
          .status === "failing",
      "the failing schedule",
      10_000,
      50,
    );
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    const base = `http://127.0.0.1:${s.port}`;
    await page.goto(`${base}/dashboard/login?next=%2Fdashboard`);
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${base}/dashboard`);
  });

  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("shows the failing schedule's red strip and badge above the healthy ones", async () => {
    const rows = page.locator("#overview-schedules tbody tr");
    const subjects = await rows.evaluateAll((trs) =>
      trs.map((tr) => (tr as unknown as { dataset: Record<string, string> }).dataset.subject),
    );
    assert.equal(subjects[0], "z-exports", `worst first: ${subjects.join(", ")}`);
    assert.ok(subjects.indexOf("a-healthy") > 0 && subjects.indexOf("b-healthy") > 0);

    const first = rows.first();
    const badge = first.locator(".badge");
    assert.equal((await badge.textContent())?.trim(), "failing");
    const red = await page.evaluate(() => {
      const g = globalThis as unknown as {
        getComputedStyle(e: unknown): { getPropertyValue(n: string): string };
        document: { documentElement: unknown };
      };
      return g.getComputedStyle(g.document.documentElement).getPropertyValue("--chart-bad").trim();
    });
    const failedCells = first.locator('svg g[data-mark="failed"]');
    assert.ok((await failedCells.count()) >= 1, "failed cells in its strip");
    const fill = await failedCells
      .first()
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el)
            .fill,
      );
    assert.ok(red.length > 0, "the theme defines --chart-bad");
    assert.notEqual(fill, "none");
    // The healthy rows' cells are not drawn in the failing colour.
    const healthyFill = await rows
      .nth(1)
      .locator('svg g[data-mark="succeeded"]')
      .first()
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el)
            .fill,
      );
    assert.notEqual(fill, healthyFill, "failed cells are coloured apart from succeeded ones");
    assert.match((await badge.getAttribute("class")) ?? "", /tone-bad/, "a red badge");
    assert.equal((await rows.nth(1).locator(".badge").textContent())?.trim(), "ok");

    // A strip cell links to its job.
    const link = first.locator("svg a").first();
    const href = await link.getAttribute("href");
    assert.match(href ?? "", /^\/dashboard\/jobs\/\d+$/);
    await link.click();
    await page.waitForURL(/\/dashboard\/jobs\/\d+$/);
    assert.match((await page.textContent("main")) ?? "", /the export target refused the upload/);
  });
});
