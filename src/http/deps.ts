import type { ResolvedHttpConfig } from "../config/http-schema.ts";
import type { Heartbeat } from "../jobs/heartbeat.ts";
import type { Logger } from "../logger.ts";
import type { Tickflow } from "../tickflow.ts";

/**
 * What the HTTP server, its routes and the dashboard are given: in a file of its own, so that the
 * routes, the server and the dashboard do not import each other for it.
 */
export interface HttpDeps {
  tickflow: Tickflow;
  heartbeat: Heartbeat | null;
  config: ResolvedHttpConfig;
  logger: Logger;
}
