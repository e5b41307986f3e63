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
  /** tickflow's own checks: tokens, allowedIps, trustedProxies, metricsPublic, rateLimit (as in the config). */
  http?: Omit<HttpConfig, "enabled" | "host" | "port">;
  /** Register tickflow's metrics into the application's prom-client registry (its /metrics then has them too). */
  metricsRegistry?: Registry;
  /** Where request problems are logged (default: nowhere). */
  logger?: Logger;
}

/** The options validated once: a bad one is one clear line, before any route exists. */
export function resolveMountOptions(options: TickflowFastifyOptions) {
  if (!options?.tickflow)
    throw new ConfigError(["tickflow/fastify: the tickflow option (a createTickflow() result) is required"]);
  const parsed = httpSchema.safeParse(options.http ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `http.${i.path.join(".")}: ${i.message}`));
  }
  return {
    tickflow: options.tickflow,
    heartbeat: options.heartbeat ?? null,
    config: parsed.data,
    logger: options.logger ?? silentLogger,
    auth: options.auth ?? "token",
    metricsRegistry: options.metricsRegistry,
  };
}

/**
 * tickflow's HTTP routes as a Fastify plugin, mounted where the application says:
 *
 *     app.addHook("onRequest", myAuth);              // the application's own authentication
 *     await app.register(tickflowFastify, { prefix: "/admin/jobs", tickflow, auth: "app" });
 *
 * serves `/admin/jobs/api/v1/…`, `/admin/jobs/health`, `/admin/jobs/heartbeat`, `/admin/jobs/metrics`.
 * Encapsulated: its hooks (allow-list, rate limit, token) and error handler apply to its routes only.
 */
export const tickflowFastify: FastifyPluginAsync<TickflowFastifyOptions> = async (
  app: FastifyInstance,
  options: TickflowFastifyOptions,
) => {
  await registerTickflowHttp(app, resolveMountOptions(options));
};

export default tickflowFastify;
