import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { ResolvedHttpConfig } from "../config/http-schema.ts";
import type { Heartbeat } from "../jobs/heartbeat.ts";
import type { Logger } from "../logger.ts";
import type { Tickflow } from "../tickflow.ts";
import { registerTickflowHttp } from "./mount.ts";

/** 64 KiB: the API takes small JSON bodies (payloads, filters); anything bigger is a mistake or abuse. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Our own limits on slow clients (Node's defaults let a client trickling its headers hold a
 * connection for about 90 s: headersTimeout 60 s, checked only every 30 s).
 */
export interface HttpTimeouts {
  /** All request headers within this long, or 408 and the connection closes. */
  headersMs: number;
  /** The whole request (headers and body) within this long. */
  requestMs: number;
  /** A socket with no traffic at all for this long is closed. */
  idleMs: number;
  /** How often Node checks the two limits above (its default, 30 s, would stretch them). */
  checkEveryMs: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 60_000,
  checkEveryMs: 1_000,
};

export interface HttpDeps {
  tickflow: Tickflow;
  heartbeat: Heartbeat | null;
  config: ResolvedHttpConfig;
  logger: Logger;
  /**
   * Who decides access: "token" (default) — tickflow's bearer tokens; "app" — the application
   * that mounts tickflow, through its own hooks in front: every request reaching tickflow's routes
   * is treated as authenticated.
   */
  auth?: "token" | "app";
  /** The prom-client registry /metrics serves and registers into (default: one of tickflow's own). */
  metricsRegistry?: Registry;
  /** Tests shorten them; production uses HTTP_TIMEOUTS. */
  timeouts?: Partial<HttpTimeouts>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The client address after the trusted-proxy rules (what allow-list and rate limit use). */
    clientIp: string;
    /** A valid bearer token came with the request. */
    authenticated: boolean;
  }
  interface FastifyContextConfig {
    /** "token": refused without a valid token; "open": anyone the allow-list lets in. */
    access?: "token" | "open";
  }
}

/**
 * The HTTP face of `tickflow start`: a Fastify app with tickflow's routes mounted at the root (the
 * same plugin an application mounts under its own prefix, see src/fastify.ts) and the dashboard.
 */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const timeouts = { ...HTTP_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkEveryMs },
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    trustProxy: false,
    return503OnClosing: true,
  });
  await app.register(registerTickflowHttp, { ...deps, dashboard: true });
  if (deps.config.tokens.length === 0 && (deps.auth ?? "token") === "token") {
    deps.logger.warn(
      "HTTP API has no token: protected routes refuse every request until TICKFLOW_TOKEN is set",
    );
  }
  return app;
}
