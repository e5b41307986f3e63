import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { NotFoundError } from "../../errors.ts";
import { Job } from "../api-schemas.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
import { parseInput } from "../validate.ts";
import { jobView } from "./jobs-view.ts";

/** What POST /api/v1/jobs takes: a registered type, its payload, and the enqueue options. */
const enqueueBody = z.strictObject({
  type: z.string().min(1).max(64).describe("a job type this server has registered"),
  payload: z.unknown().optional().describe("the job's JSON payload"),
  queue: z.string().min(1).max(64).optional(),
  priority: z.number().int().optional(),
  maxAttempts: z.number().int().min(1).optional(),
  runAt: z.iso.datetime({ offset: true }).optional().describe("run at this time (exclusive with delay)"),
  delay: z
    .union([z.number().int().min(0), z.string()])
    .optional()
    .describe('ms, or a duration like "10s"'),
  key: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("idempotency key (the Idempotency-Key header also sets it)"),
});
const idempotencyKey = z.strictObject({ "idempotency-key": z.string().min(1).max(200).optional() });

const enqueueDoc = doc({
  summary:
    "Enqueue a job. With an idempotency key (Idempotency-Key header or `key`), a request repeated while the first job is unfinished answers that job instead of adding one",
  body: enqueueBody,
  responses: { 202: z.object({ job: Job }) },
});

/** POST /api/v1/jobs: enqueue through tickflow.enqueue (its checks: one clear 400, nothing written). */
export function registerEnqueueRoute(api: FastifyInstance, { tickflow }: HttpDeps): void {
  api.post("/jobs", enqueueDoc, async (request, reply) => {
    const body = parseInput(enqueueBody, request.body, "body");
    const headerKey = parseInput(
      idempotencyKey,
      { "idempotency-key": request.headers["idempotency-key"] },
      "header",
    )["idempotency-key"];
    const { type, payload, runAt, key, ...options } = body;
    const id = await tickflow.enqueue(type, payload, {
      ...options,
      ...(runAt === undefined ? {} : { runAt: Date.parse(runAt) }),
      ...((key ?? headerKey) ? { key: key ?? headerKey } : {}),
    });
    const job = await tickflow.getJob(id);
    if (!job) throw new NotFoundError(`job ${id}`);
    reply.code(202);
    return { job: jobView(job) };
  });
}
