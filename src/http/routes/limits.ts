import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import type { LimitUsageRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";

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
  api.get("/limits", async () => ({
    limits: (await tickflow.limits.usage()).map(limitView),
    disabledTypes: (await tickflow.limits.disabledTypes()).map((t) => ({
      type: t.type,
      disabledAt: new Date(t.pausedAt).toISOString(),
    })),
  }));

  api.get("/types", async () => {
    const disabled = new Set((await tickflow.limits.disabledTypes()).map((t) => t.type));
    return {
      types: tickflow.registry.names().map((type) => ({ type, disabled: disabled.has(type) })),
    };
  });

  api.post("/types/:type/disable", async (request) => {
    const { type } = parseInput(typeParam, request.params, "path");
    return { type, disabled: true, changed: await tickflow.limits.disableType(type) };
  });

  api.post("/types/:type/enable", async (request) => {
    const { type } = parseInput(typeParam, request.params, "path");
    return { type, disabled: false, changed: await tickflow.limits.enableType(type) };
  });
}
