import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { tickflowFastify } from "../../src/fastify.ts";
import { createTickflowHandler, type TickflowHandler } from "../../src/http-handler.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";

/**
 * The dashboard mounted at /admin/jobs inside an application's own server — a Fastify app
 * (tickflow/fastify) and an Express app (tickflow/http) — behind the application's own login (a
 * cookie `app_user` its hook checks), driven in headless Chromium: every page, link, asset and
 * action stays under /admin/jobs, and with `auth: "app"` nobody is asked for a tickflow token.
 */
const skip =
  !hasChromium() && !process.env.CI
    ? "no /usr/bin/chromium (install chromium, or CI=true fails instead)"
    : false;
const test = (name: string, fn: () => Promise<void>) => it(name, { skip }, fn);

const later = defineJob("reports.later", async () => {});
const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** The application's own authentication: /admin/* needs its cookie, else its own login page. */
const isAdmin = (cookieHeader: string | undefined) =>
  /(?:^|;\s*)app_user=admin(?:;|$)/.test(cookieHeader ?? "");
const APP_LOGIN = "<!doctype html><title>app login</title><h1>The application's own login</h1>";

let tickflow: Tickflow;
let cleanupStore: () => Promise<void>;
let browser: Browser;

before(async () => {
  if (skip) return;
  const harness = await createTestSqliteStore();
  cleanupStore = harness.cleanup;
  tickflow = new Tickflow(harness.store, { jobs: [later] }, false);
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await cleanupStore();
});

/** Opens the dashboard as the application's signed-in admin, recording every URL the page asks for. */
async function adminPage(port: number): Promise<{ page: Page; requested: string[]; close(): Promise<void> }> {
  const context = await browser.newContext();
  const requested: string[] = [];
  context.on("request", (request) => requested.push(new URL(request.url()).pathname));
  const page = await context.newPage();
  // Without the application's cookie: the application's own login page, not tickflow's.
  await page.goto(`http://127.0.0.1:${port}/admin/jobs`);
  assert.equal(await page.locator("h1").textContent(), "The application's own login");
  await context.addCookies([{ name: "app_user", value: "admin", url: `http://127.0.0.1:${port}` }]);
  return { page, requested, close: () => context.close() };
}

/** The walk both servers must pass: overview, nav, a job page, an action with its flash message. */
async function walkDashboard(port: number): Promise<void> {
  const jobId = await tickflow.enqueue(later, {}, { delay: 3_600_000 });
  const { page, requested, close } = await adminPage(port);
  try {
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`http://127.0.0.1:${port}/admin/jobs`);
    assert.equal(await page.locator("h1").textContent(), "Overview", "no tickflow login in front");
    assert.equal(
      await page.evaluate("getComputedStyle(document.querySelector('header.top')).display"),
      "flex",
      "the stylesheet loaded from under the prefix (CSP allows it)",
    );
    await page.getByRole("link", { name: "Jobs", exact: true }).first().click();
    await page.waitForURL(`http://127.0.0.1:${port}/admin/jobs/jobs`);
    await page.goto(`http://127.0.0.1:${port}/admin/jobs/jobs/${jobId}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(`http://127.0.0.1:${port}/admin/jobs/jobs/${jobId}`);
    assert.equal(
      (await page.locator(".flash").textContent())?.trim(),
      `Job #${jobId} will run again now.`,
      "the CSRF-checked action ran and its flash message survived the redirect",
    );
    await page.reload();
    assert.equal(await page.locator(".flash").count(), 0, "a flash is shown once");
    assert.deepEqual(errors, [], "no console errors (CSP violations among them)");
    const outside = requested.filter((path) => !path.startsWith("/admin/jobs"));
    assert.deepEqual(outside, [], "every page, asset and action stays under the prefix");
  } finally {
    await close();
  }
}

describe("dashboard at /admin/jobs in a Fastify app, behind the app's own auth hook", () => {
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    if (skip) return;
    app = Fastify();
    app.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/admin") && !isAdmin(request.headers.cookie)) {
        return reply.code(401).type("text/html").send(APP_LOGIN);
      }
    });
    await app.register(tickflowFastify, {
      prefix: "/admin/jobs",
      tickflow,
      auth: "app",
      dashboard: { path: "" },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = portOf(app.server);
  });
  after(async () => {
    if (!skip) await app.close();
  });

  test("pages, links, assets and actions work under the prefix; the API is beside them", async () => {
    await walkDashboard(port);
    const api = await fetch(`http://127.0.0.1:${port}/admin/jobs/api/v1/queues`, {
      headers: { cookie: "app_user=admin" },
    });
    assert.equal(api.status, 200);
  });
});

describe("dashboard at /admin/jobs in an Express app (tickflow/http), behind the app's own middleware", () => {
  let server: Server;
  let handler: TickflowHandler;
  let port: number;

  before(async () => {
    if (skip) return;
    handler = await createTickflowHandler({
      tickflow,
      prefix: "/admin/jobs",
      auth: "app",
      dashboard: { path: "" },
    });
    const app = express();
    app.use("/admin", (req, res, next) => {
      if (isAdmin(req.headers.cookie)) next();
      else res.status(401).type("html").send(APP_LOGIN);
    });
    app.use("/admin/jobs", handler);
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = portOf(server);
  });
  after(async () => {
    if (skip) return;
    await new Promise((resolve) => server.close(resolve));
    await handler.close();
  });

  test("pages, links, assets and actions work under the prefix", async () => {
    await walkDashboard(port);
  });
});
