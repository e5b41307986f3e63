import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { TickflowError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** The one JSON error shape every route answers with. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/** TickflowError codes and the HTTP status each maps to; anything else is a 500 without details. */
const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  INVALID_OPTION: 400,
  INVALID_PAYLOAD: 400,
  INVALID_SCHEDULE: 400,
  UNKNOWN_JOB_TYPE: 400,
  INVALID_TRANSITION: 409,
  FLOW_ALREADY_RUNNING: 409,
  FLOW_DISABLED: 409,
  SCHEDULE_CONFLICT: 409,
  UNKNOWN_FLOW: 404,
  INVALID_FLOW: 400,
};

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, "BODY_TOO_LARGE", "the request body is larger than the limit"],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    "send JSON (Content-Type: application/json)",
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, "INVALID_JSON", "the JSON body is empty"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, "INVALID_REQUEST", "the Content-Length does not match the body"],
};

export function createErrorHandler(logger: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof TickflowError) {
      const status = STATUS_BY_CODE[error.code] ?? 500;
      if (status < 500) return reply.code(status).send(errorBody(error.code, error.message));
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return reply.code(known[0]).send(errorBody(known[1], known[2]));
    if (error.statusCode === 429) return reply.code(429).send(errorBody("RATE_LIMITED", error.message));
    // Only a request body that does not parse: a SyntaxError from anywhere else (a stored row) is ours.
    const bodyError = error instanceof SyntaxError && error.statusCode === 400;
    if (bodyError || error.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
      return reply.code(400).send(errorBody("INVALID_JSON", "the request body is not valid JSON"));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody("BAD_REQUEST", error.message));
    }
    // Internals stay in the log; the client learns only that it was our fault.
    logger.error(
      { err: error, method: request.method, url: request.routeOptions.url },
      `HTTP handler error: ${error.message}`,
    );
    return reply.code(500).send(errorBody("INTERNAL", "internal error"));
  };
}
