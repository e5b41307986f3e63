import { createHmac } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { secretsEqual } from "../../alerts/secrets.ts";
import { badgeSvg } from "../badge-svg.ts";
import type { HttpDeps } from "../deps.ts";
import { errorBody } from "../errors.ts";

export const BADGE_KINDS = ["check", "flow", "schedule"] as const;
export type BadgeKind = (typeof BADGE_KINDS)[number];

/**
 * Each badge's own key: HMAC-SHA256 of "kind:name" under the badge secret, so one README's badge
 * URL reveals nothing about another's and no key has to be stored.
 */
export function badgeKey(secret: string, kind: BadgeKind, name: string): string {
  return createHmac("sha256", secret).update(`${kind}:${name}`).digest("base64url").slice(0, 22);
}

/** `/badge/<kind>/<name>/<key>.svg`, the path a README embeds. */
export function badgePath(secret: string, kind: BadgeKind, name: string): string {
  return `/badge/${kind}/${encodeURIComponent(name)}/${badgeKey(secret, kind, name)}.svg`;
}

/**
 * GET /badge/:kind/:name/:key.svg — an SVG status badge per check, flow or schedule, open to
 * anyone with its key (READMEs and wikis cannot send a token). A wrong key, an unknown name and
 * badges switched off (no badge secret) all get the same 404.
 */
export function registerBadgeRoutes(app: FastifyInstance, { tickflow, config }: HttpDeps): void {
  app.get("/badge/:kind/:name/:file", { config: { access: "open" } }, async (request, reply) => {
    const { kind, name, file } = request.params as { kind: string; name: string; file: string };
    const secret = config.badgeSecret;
    if (!secret || !(BADGE_KINDS as readonly string[]).includes(kind) || !file.endsWith(".svg")) {
      return notFound(reply);
    }
    if (!secretsEqual(file.slice(0, -4), badgeKey(secret, kind as BadgeKind, name))) return notFound(reply);
    const status = await statusOf(tickflow, kind as BadgeKind, name);
    if (status === null) return notFound(reply);
    return reply
      .header("content-type", "image/svg+xml; charset=utf-8")
      .header("cache-control", "no-cache, max-age=0")
      .send(badgeSvg(name, status));
  });
}

async function statusOf(
  tickflow: HttpDeps["tickflow"],
  kind: BadgeKind,
  name: string,
): Promise<string | null> {
  if (kind === "check") return (await tickflow.checks.get(name))?.state ?? null;
  if (kind === "flow") {
    const flow = await tickflow.queries.getFlow(name);
    if (!flow || flow.removedAt !== null) return null;
    if (!flow.enabled) return "paused";
    if (flow.lastRunStatus === null) return "never_ran";
    return flow.lastRunStatus === "failed" ? "failing" : "ok";
  }
  const [report] = await tickflow.liveness.scheduleReports({ scheduleId: name, ticks: 10 });
  return report?.health.status ?? null;
}

function notFound(reply: FastifyReply) {
  return reply.code(404).send(errorBody("NOT_FOUND", "not found"));
}
