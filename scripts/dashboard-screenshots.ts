// Screenshots of the dashboard's main pages for docs/images/ (README "Dashboard").
// Run: node --import tsx scripts/dashboard-screenshots.ts   (needs /usr/bin/chromium)
// Builds a realistic picture through the real paths — a started Tickflow on a temp SQLite file with
// a fake clock, real heartbeat beats, flow runs, jobs, a monitor and a 4-minute simulated downtime —
// then logs in through the login page and captures each page in headless Chromium.
import { join } from "node:path";
import { defineFlow } from "../src/flows/define-flow.ts";
import { defineMonitor } from "../src/monitors/define-monitor.ts";
import { defineJob } from "../src/runtime/registry.ts";
import { driveHeartbeat } from "../test/dashboard/heartbeat-driver.ts";
import { launchChromium } from "../test/helpers/browser.ts";
import { FakeClock } from "../test/helpers/fake-clock.ts";
import { startHttp, TOKEN } from "../test/helpers/http.ts";
import { asJobs } from "../test/helpers/runtime.ts";

const OUT = join(import.meta.dirname, "..", "docs", "images");
const START = Date.UTC(2026, 4, 12, 8, 59, 40);
const FIRST_MINUTE = Date.UTC(2026, 4, 12, 9, 0, 0);
const clock = new FakeClock(START);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Deterministic "randomness": the pictures come out the same every run.
let seed = 7;
const rand = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};

let paymentsUp = true;
const flows = [
  defineFlow({
    name: "billing-export",
    schedule: "1h",
    run: async () => {
      clock.advance(1_800 + Math.round(rand() * 2_400));
      if (rand() < 0.12) throw new Error("S3 PutObject failed: SlowDown (503), retry later");
    },
    retries: 0,
  }),
  defineFlow({
    name: "crm-import",
    schedule: "0 2 * * *",
    run: async () => void clock.advance(12_000 + Math.round(rand() * 9_000)),
  }),
  defineFlow({ name: "search-reindex", run: async () => void clock.advance(40_000) }),
];
const sendEmail = defineJob("email.send", async () => {});
const exportReport = defineJob(
  "reports.export",
  async (payload: { month: string }) => {
    throw new Error(`disk full while writing /var/reports/${payload.month}.csv`);
  },
  { maxAttempts: 2, backoff: { type: "fixed", delay: 1_000 } },
);
const buildReport = defineJob("reports.build", async () => {});

const s = await startHttp(
  {},
  {
    heartbeat: true,
    jobs: asJobs(sendEmail, exportReport, buildReport),
    tickflow: {
      clock,
      flows,
      monitors: [
        defineMonitor({
          name: "payments-api",
          interval: "30s",
          check: async () => {
            if (!paymentsUp)
              throw new Error("GET https://payments.internal/health: connect ECONNREFUSED 10.0.4.12:443");
          },
        }),
      ],
    },
  },
);
s.tickflow.defineSchedule({ key: "daily-report", job: buildReport, every: "1m", misfire: "latest" });
s.tickflow.defineSchedule({ key: "cache-warmup", job: buildReport, every: "1m", misfire: "skip" });
await s.tickflow.syncSchedules();

async function runFlow(name: string) {
  const answer = await s.tickflow.flows.tryTrigger(name, { source: rand() < 0.3 ? "api" : "manual" });
  if (answer.status !== "enqueued") return;
  for (let i = 0; i < 500; i++) {
    const run = await s.tickflow.flows.run(answer.runId);
    if (run && (run.status === "success" || run.status === "failed")) return;
    await sleep(10);
  }
}

for (let minute = 0; minute < 24; minute++) {
  const at = FIRST_MINUTE + minute * 60_000;
  if (minute >= 12 && minute < 16) continue; // the downtime: nothing ran from 09:12 to 09:15
  if (minute === 16) {
    paymentsUp = false;
    clock.set(at - 5_000);
    await s.tickflow.syncSchedules(); // the scheduler comes back and decides the overdue ticks
    await sleep(1_200);
  }
  if (minute === 20) paymentsUp = true;
  await driveHeartbeat(s.tickflow, clock, at, 1, {
    latenessMs: 120 + Math.round(rand() * 500),
    eventDelayMs: minute === 8 ? 17_400 : 10_050 + Math.round(rand() * 400),
  });
  await runFlow("billing-export");
  if (minute % 6 === 0) await runFlow("crm-import");
  for (let i = 0; i < 3; i++)
    await s.tickflow.enqueue(sendEmail, { to: `user${minute * 3 + i}@example.com` });
}
await s.tickflow.enqueue(exportReport, { month: "2026-04" });
await s.tickflow.enqueue(sendEmail, { to: "later@example.com" }, { delay: "2h", queue: "mail" });
await s.tickflow.enqueue(sendEmail, { to: "digest@example.com" }, { delay: "30m", queue: "mail" });
clock.advance(2_000);
await sleep(600);
clock.advance(2_000);
await sleep(600);

const browser = await launchChromium();
try {
  const base = `http://127.0.0.1:${s.port}`;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/login`);
  await page.screenshot({ path: join(OUT, "dashboard-login.png") });
  await page.getByLabel("API token").fill(TOKEN);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${base}/dashboard`);
  const failedJob = (await s.tickflow.queries.listJobs({ states: ["discarded"], limit: 1 }))[0];
  const shots: [string, string][] = [
    ["dashboard-overview.png", "/dashboard"],
    ["dashboard-flows.png", "/dashboard/flows"],
    ["dashboard-flow.png", "/dashboard/flows/billing-export"],
    ["dashboard-schedules.png", "/dashboard/schedules"],
    ["dashboard-schedule.png", "/dashboard/schedules/daily-report"],
    ["dashboard-jobs.png", "/dashboard/jobs"],
    ["dashboard-job.png", `/dashboard/jobs/${failedJob?.id ?? 1}`],
    ["dashboard-monitor.png", "/dashboard/monitors/payments-api"],
  ];
  for (const [file, path] of shots) {
    await page.goto(base + path);
    if (file === "dashboard-flow.png") await page.locator("#flow-runs details summary").first().click();
    await page.screenshot({ path: join(OUT, file), fullPage: file !== "dashboard-jobs.png" });
    console.log(`docs/images/${file}`);
  }
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await phone.addCookies(await context.cookies());
  const mobile = await phone.newPage();
  await mobile.goto(`${base}/dashboard`);
  await mobile.screenshot({ path: join(OUT, "dashboard-overview-phone.png") });
  console.log("docs/images/dashboard-overview-phone.png");
} finally {
  await browser.close();
  await s.close();
}
