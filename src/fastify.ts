import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";
import { type HttpConfig, httpSchema } from "./config/http-schema.ts";
import { ConfigError } from "./errors.ts";
import { registerTickflowHttp } from "./http/mount.ts";
import type { Heartbeat } from "./jobs/heartbeat.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { Tickflow } from "./tickflow.ts";

/** What `tickflow/fastify` (and `tickflow/http`) mount: one tickflow instance's HTTP face. */
export interface TickflowFastifyOptions {
  /** The instance whose API, health, heartbeat and metrics are served. */
  tickflow: Tickflow;
  /** The heartbeat registered on it (`registerHeartbeat`), for /heartbeat and /health. */
  heartbeat?: Heartbeat | null;
  /**
   * Who decides access. "token" (the default): tickflow's bearer tokens (`http.tokens`), as in
   * `tickflow start` — with none configured every protected route answers 401. "app": the
   * application's own hooks, registered before this plugin (or its middleware in front of the
   * handler), decide; every request that reaches tickflow's routes is treated as authenticated.
   */
  auth?: "token" | "app";
  /**
   * tickflow's own checks: tokens, allowedIps, metricsPublic, rateLimit (as in the config). Proxies:
   * the plugin reads the client's address and protocol as the application's Fastify `trustProxy`
   * says; `trustedProxies` is for `tickflow/http`, whose server is tickflow's.
   */
  http?: Omit<HttpConfig, "enabled" | "host" | "port">;
  /**
   * The dashboard (default: on, at `<prefix>/dashboard`). `{ path }` moves it within the prefix;
   * `{ path: "" }` serves it at the prefix itself. With `auth: "app"` whoever the application lets
   * in gets a dashboard session without logging in; otherwise the login page asks for an API token.
   */
  dashboard?: boolean | { path?: string };
  /** Register tickflow's metrics into the application's prom-client registry (its /metrics then has them too). */
  metricsRegistry?: Registry;
  /** Where request problems are logged (default: nowhere). */
  logger?: Logger;
}

/** The options validated once: a bad one is one clear line, before any route exists. */
export function resolveMountOptions(options: TickflowFastifyOptions, server: "app" | "own" = "app") {
  if (!options?.tickflow)
    throw new ConfigError(["tickflow/fastify: the tickflow option (a createTickflow() result) is required"]);
  const parsed = httpSchema.safeParse(options.http ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `http.${i.path.join(".")}: ${i.message}`));
  }
  if (server === "app" && parsed.data.trustedProxies.length > 0) {
    throw new ConfigError([
      "tickflow/fastify: http.trustedProxies is not used here: set trustProxy on your own Fastify app (Fastify({ trustProxy: [...] })), which tickflow's routes follow",
    ]);
  }
  return {
    tickflow: options.tickflow,
    heartbeat: options.heartbeat ?? null,
    config: parsed.data,
    logger: options.logger ?? silentLogger,
    auth: options.auth ?? "token",
    metricsRegistry: options.metricsRegistry,
    dashboard: options.dashboard ?? true,
  };
}

/**
 * tickflow's HTTP routes as a Fastify plugin, mounted where the application says:
 *
 *     app.addHook("onRequest", myAuth);              // the application's own authentication
 *     await app.register(tickflowFastify, { prefix: "/admin/jobs", tickflow, auth: "app" });
 *
 * serves `/admin/jobs/api/v1/…`, `/admin/jobs/health`, `/admin/jobs/heartbeat`, `/admin/jobs/metrics`
 * and the dashboard at `/admin/jobs/dashboard` (`dashboard: { path: "" }`: at `/admin/jobs`).
 * Encapsulated: its hooks (allow-list, rate limit, token) and error handler apply to its routes only.
 */
export const tickflowFastify: FastifyPluginAsync<TickflowFastifyOptions> = async (
  app: FastifyInstance,
  options: TickflowFastifyOptions,
) => {
  await registerTickflowHttp(app, resolveMountOptions(options));
};

export default tickflowFastify;
