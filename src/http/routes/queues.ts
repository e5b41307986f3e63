import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import { queueControl } from "../../queues.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
import { parseInput } from "../validate.ts";
import { iso } from "./jobs-view.ts";

const queueParams = z.object({
  queue: z.string().refine(isValidName, { message: "not a valid queue name" }),
});
const QueueState = z.object({
  queue: z.string(),
  paused: z.boolean(),
  changed: z.boolean().describe("false: it already was (the call is idempotent)"),
});
const pauseDoc = doc({
  summary:
    "Pause a queue on every process: its jobs wait, unclaimed, until it is resumed (running jobs finish)",
  params: queueParams,
  responses: { 200: QueueState },
});
const resumeDoc = doc({
  summary: "Resume a paused queue on every process",
  params: queueParams,
  responses: { 200: QueueState },
});
const pausedDoc = doc({
  summary: "The queues paused by hand",
  responses: {
    200: z.object({ paused: z.array(z.object({ queue: z.string(), pausedAt: z.iso.datetime() })) }),
  },
});

/** Queue pause and resume under /api/v1 (src/queues.ts). */
export function registerQueueRoutes(api: FastifyInstance, { tickflow }: HttpDeps): void {
  const queues = queueControl(tickflow);
  const queueOf = (params: unknown) => parseInput(queueParams, params, "path").queue;
  api.get("/queues/paused", pausedDoc, async () => ({
    paused: (await queues.paused()).map((p) => ({ queue: p.queue, pausedAt: iso(p.pausedAt) })),
  }));
  api.post("/queues/:queue/pause", pauseDoc, async (request) => {
    const queue = queueOf(request.params);
    return { queue, paused: true, changed: await queues.pause(queue) };
  });
  api.post("/queues/:queue/resume", resumeDoc, async (request) => {
    const queue = queueOf(request.params);
    return { queue, paused: false, changed: await queues.resume(queue) };
  });
}
