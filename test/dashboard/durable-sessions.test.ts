import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { httpSchema } from "../../src/config/http-schema.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { hasChromium, launchChromium } from "../helpers/browser.ts";
import { type ServiceProcess, spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

/**
 * Dashboard sessions live in the database (src/sessions.ts), in headless Chromium: a login
 * survives a restart of the server, and two `tickflow start` processes behind one port (a
 * round-robin proxy, no sticky sessions) both accept the one login.
 */
const skip =
  !hasChromium() && !process.env.CI
    ? "no /usr/bin/chromium (install chromium, or CI=true fails instead)"
    : false;
const test = (name: string, fn: () => Promise<void>) => it(name, { skip, timeout: 120_000 }, fn);
const TOKEN = "durable-sessions-token-0123456789";

let browser: Browser;
before(async () => {
  if (!skip) browser = await launchChromium();
});
after(async () => {
  if (!skip) await browser.close();
});

async function logIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/dashboard/jobs`);
  assert.equal(await page.locator("h1").textContent(), "tickflow dashboard", "the login page");
  await page.getByLabel("API token").fill(TOKEN);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${origin}/dashboard/jobs`);
  assert.equal(await page.locator("h1").textContent(), "Jobs");
}

describe("a dashboard session survives a restart", () => {
  const dir = tempDir();
  const file = join(dir.dir, "tickflow.db");
  after(() => dir.cleanup());

  /** `tickflow start`'s HTTP service on the database file: the same port each time once known. */
  async function serve(port: number): Promise<{ app: FastifyInstance; port: number; stop(): Promise<void> }> {
    const store = new SqliteStore(file);
    await store.migrate();
    const tickflow = new Tickflow(store, {}, true);
    const config = httpSchema.parse({ tokens: [TOKEN] });
    const app = await createHttpServer({ tickflow, heartbeat: null, config, logger: tickflow.logger });
    await app.listen({ host: "127.0.0.1", port });
    return {
      app,
      port: (app.server.address() as AddressInfo).port,
      async stop() {
        await app.close();
        await tickflow.stop(0);
      },
    };
  }

  test("logged in before the restart, still logged in after it; logged out, refused after the next", async () => {
    let server = await serve(0);
    const origin = `http://127.0.0.1:${server.port}`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await logIn(page, origin);
      await server.stop();
      server = await serve(server.port);
      await page.goto(`${origin}/dashboard/flows`);
      assert.equal(page.url(), `${origin}/dashboard/flows`, "no redirect to the login page");
      assert.equal(await page.locator("h1").textContent(), "Flows");
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(`${origin}/dashboard/login`);
      await server.stop();
      server = await serve(server.port);
      await page.goto(`${origin}/dashboard/flows`);
      assert.match(page.url(), /\/dashboard\/login\?next=/, "a logout stays a logout across the restart");
    } finally {
      await context.close();
      await server.stop();
    }
  });
});

/** One port in front of several backends, each request to the next (no stickiness at all). */
function roundRobin(ports: number[]): Promise<{ server: Server; port: number; served: number[][] }> {
  let next = 0;
  const served: number[][] = ports.map(() => []);
  const server = createServer((req, res) => {
    const i = next++ % ports.length;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: ports[i], method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        served[i]!.push(answer.statusCode ?? 0);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as AddressInfo).port, served }),
    ),
  );
}

describe("two tickflow start processes behind one port", () => {
  const dir = tempDir();
  let processes: ServiceProcess[] = [];
  after(async () => {
    for (const p of processes) p.child.kill("SIGTERM");
    await Promise.all(processes.map((p) => p.exited));
    dir.cleanup();
  });

  test("accept one login: every page after it is served logged in, by both processes", async () => {
    const env = { TICKFLOW_DATABASE_URL: `sqlite:${join(dir.dir, "tickflow.db")}`, TICKFLOW_TOKEN: TOKEN };
    const args = ["start", "-c", "test/fixtures/empty.config.ts"];
    processes = [spawnTickflow(args, env), spawnTickflow(args, env)];
    const LISTENING = /HTTP listening on http:\/\/127\.0\.0\.1:(\d+)/;
    await waitFor(
      () => processes.every((p) => LISTENING.test(p.output())),
      "both processes to listen",
      60_000,
    );
    const proxy = await roundRobin(processes.map((p) => Number(LISTENING.exec(p.output())![1])));
    const origin = `http://127.0.0.1:${proxy.port}`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await logIn(page, origin);
      const before = proxy.served.map((s) => s.length);
      for (const path of ["/dashboard", "/dashboard/flows", "/dashboard/schedules", "/dashboard/jobs"]) {
        await page.goto(`${origin}${path}`);
        assert.equal(page.url(), `${origin}${path}`, `${path}: no redirect to the login page`);
      }
      const after = proxy.served.map((s, i) => s.slice(before[i]));
      assert.ok(
        after.every((statuses) => statuses.length > 0 && statuses.every((status) => status === 200)),
        `both processes served pages to the session: ${JSON.stringify(after)}`,
      );
    } finally {
      await context.close();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });
});
