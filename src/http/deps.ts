import type { Registry } from "prom-client";
import type { ResolvedHttpConfig } from "../config/http-schema.ts";
import type { Heartbeat } from "../jobs/heartbeat.ts";
import type { Logger } from "../logger.ts";
import type { Tickflow } from "../tickflow.ts";

/**
 * What the HTTP server, its routes and the dashboard are given: in a file of its own, so that the
 * routes, the server and the dashboard do not import each other for it.
 */
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
