import { type Duration, parseDuration } from "../core/duration.ts";
import { serializePayload } from "../core/payload.ts";
import { InvalidOptionError } from "../errors.ts";
import type { TransactionClient } from "../store/pg-client.ts";
import type { JobInsert } from "../store/store.ts";
import { type JobOptions, type JobRegistry, resolveJobOptions } from "./registry.ts";

export interface EnqueueOptions extends JobOptions {
  /** Run at this instant (Date or epoch ms). Exclusive with `delay`. */
  runAt?: Date | number;
  /** Run after this long, e.g. "10s" or 10000. Exclusive with `runAt`. */
  delay?: Duration;
  /** Dedupe key: while a job with this key is unfinished, enqueueing it again returns that job. */
  key?: string;
  /** Durable state key (spec §3): jobs sharing it see one `ctx.state`. */
  stateKey?: string;
  /**
   * PostgreSQL only: a `pg` client (`pool.connect()`'s PoolClient, or a Client) inside the caller's
   * open transaction. The job then exists if and only if that transaction commits.
   */
  client?: TransactionClient;
}

/**
 * Validates everything about one job and builds the row to insert. Throws before anything is
 * written: an unknown type, a payload that is not JSON, or a bad option never reaches the store.
 */
export function buildJobInsert(
  registry: JobRegistry,
  type: string,
  payload: unknown,
  options: EnqueueOptions,
  now: number,
): JobInsert {
  const definition = registry.get(type);
  const owner = `enqueue "${type}"`;
  const resolved = resolveJobOptions(options, definition.options, owner);
  if (options.runAt !== undefined && options.delay !== undefined) {
    throw new InvalidOptionError(`${owner}: give runAt or delay, not both`);
  }
  let runAt = now;
  if (options.runAt !== undefined) {
    runAt = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    if (typeof runAt !== "number" || !Number.isFinite(runAt))
      throw new InvalidOptionError(`${owner}: runAt is not a valid instant`);
  } else if (options.delay !== undefined) {
    if (typeof options.delay !== "number" && typeof options.delay !== "string") {
      throw new InvalidOptionError(`${owner}: delay must be a number of ms or a duration such as "10s"`);
    }
    if (typeof options.delay === "number" && options.delay < 0) {
      throw new InvalidOptionError(`${owner}: delay must not be negative, got ${options.delay}`);
    }
    runAt = now + parseDuration(options.delay, `${owner}: delay`);
  }
  for (const [name, value] of [
    ["key", options.key],
    ["stateKey", options.stateKey],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0 || value.length > 255)) {
      throw new InvalidOptionError(`${owner}: ${name} must be a string of 1-255 characters`);
    }
  }
  return {
    type,
    queue: resolved.queue,
    payload: serializePayload(payload, type),
    priority: resolved.priority,
    maxAttempts: resolved.maxAttempts,
    runAt,
    key: options.key ?? null,
    timeoutMs: resolved.timeoutMs,
    backoff: JSON.stringify(resolved.backoff),
    stateKey: options.stateKey ?? null,
  };
}
