import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import type { LimitUsageRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
import { parseInput } from "../validate.ts";

/** OpenAPI descriptions (openapi.ts); answers described by their top-level shape for now. */
const limitsDoc = doc({
  summary: "Limits with usage: running, per key, tokens left, waiting jobs and why",
  responses: { 200: z.looseObject({ limits: z.array(z.looseObject({})) }) },
});
const typesDoc = doc({
  summary: "Registered job types and whether each is disabled",
  responses: { 200: z.looseObject({ types: z.array(z.looseObject({})) }) },
});
const disableDoc = doc({ summary: "Disable a job type cluster-wide", responses: { 200: z.looseObject({}) } });
const enableDoc = doc({ summary: "Enable a disabled job type", responses: { 200: z.looseObject({}) } });

export function limitView(l: LimitUsageRow) {
  return {
    name: l.name,
    scope: l.queue !== null ? { queue: l.queue } : { type: l.type },
    concurrency: l.concurrency,
    perKey: l.perKey,
    rate: l.rate,
    running: l.running,
    tokensLeft: l.tokens === null ? null : Math.floor(l.tokens * 100) / 100,
    waiting: l.waiting,
    waitingBy: l.waitingBy,
    keys: l.keys.map((k) => ({
      key: k.key,
      running: k.running,
      waiting: k.waiting,
      tokensLeft: k.tokens === null ? null : Math.floor(k.tokens * 100) / 100,
    })),
  };
}

const typeParam = z.object({
  type: z.string().refine(isValidName, { message: "not a valid job type name" }),
});

/** Limits and per-type enable/disable under /api/v1 (docs/limits.md). */
export function registerLimitRoutes(api: FastifyInstance, { tickflow }: HttpDeps): void {
  api.get("/limits", limitsDoc, async () => ({
    limits: (await tickflow.limits.usage()).map(limitView),
    disabledTypes: (await tickflow.limits.disabledTypes()).map((t) => ({
      type: t.type,
      disabledAt: new Date(t.pausedAt).toISOString(),
    })),
  }));

  api.get("/types", typesDoc, async () => {
    const disabled = new Set((await tickflow.limits.disabledTypes()).map((t) => t.type));
    return {
      types: tickflow.registry.names().map((type) => ({ type, disabled: disabled.has(type) })),
    };
  });

  api.post("/types/:type/disable", disableDoc, async (request) => {
    const { type } = parseInput(typeParam, request.params, "path");
    return { type, disabled: true, changed: await tickflow.limits.disableType(type) };
  });

  api.post("/types/:type/enable", enableDoc, async (request) => {
    const { type } = parseInput(typeParam, request.params, "path");
    return { type, disabled: false, changed: await tickflow.limits.enableType(type) };
  });
}
