import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResolvedHttpConfig } from "../../config/http-schema.ts";
import type { FailureBackoff } from "../../core/failure-backoff.ts";
import { isValidName } from "../../core/names.ts";
import type { Heartbeat } from "../../jobs/heartbeat.ts";
import type { Logger } from "../../logger.ts";
import type { DashboardSessions } from "../../sessions.ts";
import type { Tickflow } from "../../tickflow.ts";
import { type Html, html } from "../html.ts";
import { BASE, page, type Section } from "../layout.ts";
import type { MountPath } from "../mount-path.ts";

/** What every dashboard route file is given (dashboard/index.ts builds it once). */
export interface DashboardContext {
  tickflow: Tickflow;
  heartbeat: Heartbeat | null;
  config: ResolvedHttpConfig;
  logger: Logger;
  sessions: DashboardSessions;
  /** Failed-login back-off of the dashboard's one account. */
  loginBackoff: FailureBackoff;
  /** The back-off's clock. */
  now(): number;
  /** Where the dashboard is served (its links, redirects and cookie are translated there). */
  mount: MountPath;
  /** `auth: "app"`: the application's own hooks let the request in; a session is opened without a login. */
  appDecides: boolean;
}

/** Rows per page of the job and run lists. */
export const PAGE_SIZE = 50;
export const ID = /^\d{1,18}$/;
/** Open to the bearer-token check: the dashboard checks its own session (security.ts). */
export const open = { config: { access: "open" as const } };
/** Reachable without a session: the login page and its stylesheet. */
export const publicRoute = { config: { access: "open" as const, dashboardPublic: true } };

/** A live-update request from dashboard.js (answered 401 instead of a redirect when the session ended). */
export const isLive = (request: FastifyRequest) => request.headers["x-tickflow-live"] === "1";

/** A page in the layout, for the signed-in session. */
export function render(
  request: FastifyRequest,
  reply: FastifyReply,
  section: Section,
  title: string,
  body: Html,
  now: number,
): FastifyReply {
  return sendHtml(
    reply,
    200,
    page({ title, section, session: request.dashboardSession!, body, now, keepFlash: isLive(request) }),
  );
}

export function nameParam(request: FastifyRequest, key = "name"): string | null {
  const value = (request.params as Record<string, string | undefined>)[key];
  return value !== undefined && isValidName(value) ? value : null;
}

export function cursorParam(request: FastifyRequest): string | null {
  const before = (request.query as Record<string, unknown>).before;
  return typeof before === "string" && ID.test(before) ? before : null;
}

export function sendHtml(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(body.value);
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendHtml(
    reply,
    status,
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} · tickflow</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${BASE}/static/dashboard.css"></head>
<body class="login-body"><main id="main" class="login"><h1>${status === 403 ? "Refused" : status === 404 ? "Not found" : "Error"}</h1>
<p class="flash flash-error" role="alert">${message}</p><p><a href="${BASE}">Back to the dashboard</a></p></main></body></html>`,
  );
}
