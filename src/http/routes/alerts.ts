import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { CheckStatusView } from "../../checks/checks.ts";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import {
  DELIVERY_STATUSES,
  type DeliveryRow,
  type IncidentRow,
  type SilenceRow,
} from "../../store/ports/alerts.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const limit = z.coerce.number().int().min(1).max(500).default(50);
const numericId = z.object({ id: z.string().regex(/^\d{1,18}$/, { message: "must be a numeric id" }) });

/** A check as the API shows it: never its token. */
export function checkView(c: CheckStatusView) {
  return {
    key: c.key,
    state: c.state,
    trigger: c.trigger,
    graceMs: c.graceMs,
    dueAt: iso(c.dueAt),
    downAt: iso(c.downAt),
    lastEndAt: iso(c.lastEndAt),
    lastEndOk: c.lastEndOk,
    lastStartAt: iso(c.lastStartAt),
    lastDurationMs: c.lastDurationMs,
    pings: c.pings,
  };
}

export const incidentView = (i: IncidentRow) => ({
  ...i,
  openedAt: iso(i.openedAt),
  resolvedAt: iso(i.resolvedAt),
  lastNotifiedAt: iso(i.lastNotifiedAt),
});
export const deliveryView = (d: DeliveryRow) => ({
  ...d,
  createdAt: iso(d.createdAt),
  sentAt: iso(d.sentAt),
});
export const silenceView = (s: SilenceRow) => ({ ...s, until: iso(s.until), createdAt: iso(s.createdAt) });

/** Check-ins, incidents, deliveries (with every attempt), silences, channels and rules under /api/v1. */
export function registerAlertRoutes(api: FastifyInstance, { tickflow }: HttpDeps): void {
  api.get("/checks", async () => ({ checks: (await tickflow.checks.status()).map(checkView) }));
  api.get("/checks/:key", async (request) => {
    const { key } = parseInput(
      z.object({ key: z.string().refine(isValidName, { message: "not a valid check key" }) }),
      request.params,
      "path",
    );
    const check = await tickflow.checks.get(key);
    if (!check) throw new NotFoundError(`check "${key}"`);
    const pings = await tickflow.checks.pings(key, { limit: 50 });
    return { check: checkView(check), pings: pings.map((p) => ({ ...p, at: iso(p.at) })) };
  });

  api.get("/incidents", async (request) => {
    const query = parseInput(
      z.strictObject({ status: z.enum(["open", "resolved"]).optional(), limit }),
      request.query,
      "query",
    );
    return { incidents: (await tickflow.alerts.incidents(query)).map(incidentView) };
  });
  api.get("/incidents/:id", async (request) => {
    const { id } = parseInput(numericId, request.params, "path");
    const { incident, deliveries } = await tickflow.alerts.incident(id);
    const withAttempts = await Promise.all(
      deliveries.map(async (d) => ({
        ...deliveryView(d),
        attempts: (await tickflow.alerts.attempts(d.id)).map((a) => ({ ...a, at: iso(a.at) })),
      })),
    );
    return { incident: incidentView(incident), deliveries: withAttempts };
  });
  api.get("/deliveries", async (request) => {
    const query = parseInput(
      z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), limit }),
      request.query,
      "query",
    );
    return { deliveries: (await tickflow.alerts.deliveries(query)).map(deliveryView) };
  });

  api.get("/silences", async (request) => {
    const { active } = parseInput(
      z.strictObject({ active: z.enum(["true", "false"]).optional() }),
      request.query,
      "query",
    );
    return { silences: (await tickflow.alerts.silences({ active: active === "true" })).map(silenceView) };
  });
  api.post("/silences", async (request, reply) => {
    const body = parseInput(
      z.strictObject({
        rule: z.string().min(1).max(64).optional(),
        subject: z.string().min(1).max(200).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        for: z.string().min(1).max(32).optional(),
        reason: z.string().min(1).max(500),
      }),
      request.body,
      "body",
    );
    const silence = await tickflow.alerts.silence({
      ...body,
      until: body.until === undefined ? undefined : Date.parse(body.until),
    });
    reply.code(201);
    return { silence: silenceView(silence) };
  });
  api.delete("/silences/:id", async (request, reply) => {
    const { id } = parseInput(z.object({ id: z.string().uuid() }), request.params, "path");
    await tickflow.alerts.endSilence(id);
    reply.code(204);
  });

  api.get("/alerts", async () => ({
    // Targets only: no URL path, password, signing secret or routing key ever leaves the process.
    channels: [...tickflow.alerts.channels.values()].map((c) => ({
      name: c.name,
      kind: c.kind,
      target: c.target,
    })),
    rules: tickflow.alerts
      .list()
      .map((r) => ({ name: r.name, when: r.when, target: r.target, channels: r.channels, policy: r.policy })),
  }));
}
