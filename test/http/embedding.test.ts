import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { tickflowFastify } from "../../src/fastify.ts";
import { createTickflowHandler, type TickflowHandler } from "../../src/http-handler.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { call, TOKEN } from "../helpers/http.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";

/**
 * tickflow mounted in an application's own server, as an application does it: a real Fastify app,
 * a real Express app and a plain node:http server, each listening on a loopback port, each with its
 * own authentication in front (header `x-admin: yes`, else the app's own 401).
 */

const ADMIN = { "x-admin": "yes" };
const echo = defineJob<{ n: number }>("echo", async () => undefined);

let tickflow: Tickflow;
let cleanupStore: () => Promise<void>;

before(async () => {
  const harness = await createTestSqliteStore();
  cleanupStore = harness.cleanup;
  tickflow = new Tickflow(harness.store, { jobs: [echo], pollIntervalMs: 50 }, false);
  await tickflow.start();
  await tickflow.enqueue(echo, { n: 1 });
});
after(async () => {
  await tickflow.stop(0);
  await cleanupStore();
});

const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe("tickflow/fastify: mounted under a prefix in the application's Fastify app", () => {
  let app: FastifyInstance;
  let port: number;
  const registry = new Registry();

  before(async () => {
    app = Fastify();
    // The application's own authentication, registered before tickflow: it runs first.
    app.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/admin/") && request.headers["x-admin"] !== "yes") {
        return reply.code(401).send({ app: "please log in" });
      }
    });
    app.get("/", async () => ({ app: "home" }));
    await app.register(tickflowFastify, {
      prefix: "/admin/jobs",
      tickflow,
      auth: "app",
      metricsRegistry: registry,
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = portOf(app.server);
  });
  after(() => app.close());

  it("serves the API under the prefix, behind the application's auth hook", async () => {
    const refused = await call(port, "GET", "/admin/jobs/api/v1/jobs", { token: null });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json(), { app: "please log in" }, "the application's hook answered");
    const jobs = await call(port, "GET", "/admin/jobs/api/v1/jobs", { token: null, headers: ADMIN });
    assert.equal(jobs.status, 200, jobs.text);
    assert.ok(jobs.json().jobs.some((j: { type: string }) => j.type === "echo"));
    assert.equal(
      (await call(port, "GET", "/admin/jobs/health", { token: null, headers: ADMIN })).status,
      200,
    );
  });

  it("adds nothing outside its prefix and leaves the application's routes alone", async () => {
    assert.equal((await call(port, "GET", "/api/v1/jobs")).status, 404);
    assert.equal((await call(port, "GET", "/health")).status, 404);
    assert.deepEqual((await call(port, "GET", "/", { token: null })).json(), { app: "home" });
  });

  it("registers its metrics into the application's prom-client registry", async () => {
    const scraped = await call(port, "GET", "/admin/jobs/metrics", { token: null, headers: ADMIN });
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /tickflow_jobs\b|tickflow_job_runs_total/);
    const own = await registry.metrics();
    assert.match(own, /tickflow_job_runs_total/, "the application's registry has tickflow's metrics");
  });
});

describe("tickflow/fastify with tickflow's own tokens (auth: token, the default)", () => {
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    app = Fastify();
    await app.register(tickflowFastify, { prefix: "/jobs", tickflow, http: { tokens: [TOKEN] } });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = portOf(app.server);
  });
  after(() => app.close());

  it("refuses without the bearer token and serves with it", async () => {
    const refused = await call(port, "GET", "/jobs/api/v1/queues", { token: null });
    assert.equal(refused.status, 401);
    assert.equal(refused.json().error.code, "UNAUTHORIZED");
    assert.equal((await call(port, "GET", "/jobs/api/v1/queues")).status, 200);
  });

  it("a bad option is one clear line, before any route exists", async () => {
    const other = Fastify();
    await assert.rejects(async () => {
      await other.register(tickflowFastify, { tickflow, http: { tokens: ["short"] } });
    }, /http\.tokens\.0: each token needs at least 16 characters/);
    await other.close();
  });
});

describe("tickflow/http: a (req, res) handler in Express and in a plain node:http server", () => {
  let handler: TickflowHandler;
  let expressServer: Server;
  let plainServer: Server;

  before(async () => {
    handler = await createTickflowHandler({ tickflow, prefix: "/admin/jobs", auth: "app" });
    const app = express();
    const requireAdmin: express.RequestHandler = (req, res, next) => {
      if (req.headers["x-admin"] === "yes") next();
      else res.status(401).json({ app: "please log in" });
    };
    app.use("/admin/jobs", requireAdmin, handler);
    app.get("/", (_req, res) => {
      res.json({ app: "express home" });
    });
    expressServer = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => expressServer.once("listening", resolve));
    plainServer = createServer((req, res) => {
      if (req.url?.startsWith("/admin/jobs/")) return handler(req, res);
      res.writeHead(200, { "content-type": "text/plain" }).end("plain home");
    });
    await new Promise<void>((resolve) => plainServer.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    await new Promise((resolve) => expressServer.close(resolve));
    await new Promise((resolve) => plainServer.close(resolve));
    await handler.close();
  });

  it("Express: mounted with app.use behind the application's middleware", async () => {
    const port = portOf(expressServer);
    const refused = await call(port, "GET", "/admin/jobs/api/v1/jobs", { token: null });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json(), { app: "please log in" });
    const jobs = await call(port, "GET", "/admin/jobs/api/v1/jobs", { token: null, headers: ADMIN });
    assert.equal(jobs.status, 200, jobs.text);
    assert.ok(jobs.json().jobs.some((j: { type: string }) => j.type === "echo"));
    const retry = await call(port, "POST", "/admin/jobs/api/v1/jobs/999999/retry", {
      token: null,
      headers: ADMIN,
      body: "{}",
    });
    assert.equal(retry.status, 404, "tickflow's own error answer passes through Express");
    assert.equal(retry.json().error.code, "NOT_FOUND");
    assert.deepEqual((await call(port, "GET", "/", { token: null })).json(), { app: "express home" });
  });

  it("plain node:http: the handler answers under its prefix, the server answers the rest", async () => {
    const port = portOf(plainServer);
    const health = await call(port, "GET", "/admin/jobs/health", { token: null });
    assert.equal(health.status, 200, health.text);
    assert.equal(health.json().status, "ok");
    assert.equal((await call(port, "GET", "/", { token: null })).text, "plain home");
  });
});
