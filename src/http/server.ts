import Fastify, { type FastifyInstance } from "fastify";
import { HTTP_TIMEOUTS, type HttpDeps } from "./deps.ts";
import { registerTickflowHttp } from "./mount.ts";

/** 64 KiB: the API takes small JSON bodies (payloads, filters); anything bigger is a mistake or abuse. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export { HTTP_TIMEOUTS, type HttpDeps, type HttpTimeouts } from "./deps.ts";

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
    // X-Forwarded-For and -Proto count only from these proxies (proxy-addr: addresses and CIDRs).
    trustProxy: trustProxyOf(deps.config.trustedProxies),
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

/** Fastify's `trustProxy` for the configured proxies (none: no forwarded header is believed). */
export function trustProxyOf(proxies: readonly string[]): string[] | false {
  return proxies.length > 0 ? [...proxies] : false;
}
