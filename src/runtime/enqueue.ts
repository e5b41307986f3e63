import { type Duration, parseDuration } from "../core/duration.ts";
import { MAX_INSTANT_MS } from "../core/limits.ts";
import { describeValue, optionsProblem } from "../core/options.ts";
import { serializePayload } from "../core/payload.ts";
import { InvalidOptionError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import type { TransactionClient } from "../store/pg-client.ts";
import type { DedupeInsert, InsertResult, JobInsert } from "../store/ports/job-store.ts";
import {
  JOB_OPTION_KEYS,
  type JobDefinition,
  type JobOptions,
  type JobRegistry,
  resolveJobOptions,
} from "./registry.ts";

export interface EnqueueOptions extends JobOptions {
  /** Run at this instant (Date or epoch ms). Exclusive with `delay`. */
  runAt?: Date | number;
  /** Run after this long, e.g. "10s" or 10000. Exclusive with `runAt`. */
  delay?: Duration;
  /** Dedupe key: while a job with this key is unfinished, enqueueing it again returns that job. */
  key?: string;
  /** Durable state key (spec §3): jobs sharing it see one `ctx.state`. */
  stateKey?: string;
  /** The partition key per-key limits count by (a tenant, an account); default: the type's `concurrencyKey(payload)`. */
  concurrencyKey?: string;
  /** Debounce: a pending job with this key is replaced (new payload, due `delay` from now); else one is enqueued so. */
  debounce?: { key: string; delay: Duration };
  /** Throttle: dropped (the earlier job's id returned) if a job with this key was enqueued within `window`. */
  throttle?: { key: string; window: Duration };
  /** Singleton: dropped while a job with this key is pending; one may wait while another runs. */
  singleton?: { key: string };
  /**
   * PostgreSQL only: a `pg` client (`pool.connect()`'s PoolClient, or a Client) inside the caller's
   * open transaction. The job then exists if and only if that transaction commits.
   */
  client?: TransactionClient;
}

/** Every key EnqueueOptions allows; anything else is refused with a did-you-mean. */
export const ENQUEUE_OPTION_KEYS = [
  ...JOB_OPTION_KEYS,
  "runAt",
  "delay",
  "key",
  "stateKey",
  "concurrencyKey",
  "debounce",
  "throttle",
  "singleton",
  "client",
] as const;

/**
 * A pg Client or PoolClient: `query` plus pg's own escape helpers. Anything else (a string, a
 * pool, another driver's client) would fail deep in the store with a bare TypeError instead.
 */
export function isPgClient(client: unknown): boolean {
  if (typeof client !== "object" || client === null) return false;
  const c = client as Record<string, unknown>;
  return (
    typeof c.query === "function" &&
    typeof c.escapeLiteral === "function" &&
    typeof c.escapeIdentifier === "function"
  );
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
  const template = jobTemplate(registry, type, options, now);
  return {
    ...template,
    payload: serializePayload(payload, type),
    concurrencyKey: template.concurrencyKey ?? keyOfPayload(registry, type, payload),
  };
}

/**
 * buildJobInsert for a batch: the options of each (type, options object) pair are checked and
 * resolved once — a bulk enqueue usually passes one options object (or none) for every item —
 * and only the payload is looked at per job. Items are validated in order; the first bad one
 * throws, before anything is written.
 */
export function buildJobInserts(
  registry: JobRegistry,
  items: readonly { type: string; payload: unknown; options: EnqueueOptions | undefined }[],
  now: number,
): JobInsert[] {
  let type: string | undefined;
  let options: EnqueueOptions | undefined;
  let template: Omit<JobInsert, "payload"> | undefined;
  return items.map((item) => {
    const given = item.options ?? NO_OPTIONS;
    if (template === undefined || item.type !== type || given !== options) {
      template = jobTemplate(registry, item.type, given, now);
      type = item.type;
      options = given;
    }
    const t = template;
    return {
      type: t.type,
      queue: t.queue,
      payload: serializePayload(item.payload, t.type),
      priority: t.priority,
      maxAttempts: t.maxAttempts,
      runAt: t.runAt,
      key: t.key,
      timeoutMs: t.timeoutMs,
      backoff: t.backoff,
      stateKey: t.stateKey,
      concurrencyKey: t.concurrencyKey ?? keyOfPayload(registry, t.type, item.payload),
      dedupe: t.dedupe,
    };
  });
}

/** The type's default concurrency key for a payload (defineJob's `concurrencyKey`), validated. */
function keyOfPayload(registry: JobRegistry, type: string, payload: unknown): string | null {
  const keyOf = registry.get(type).concurrencyKey;
  if (!keyOf) return null;
  const key = keyOf(payload) ?? null;
  if (key !== null && (typeof key !== "string" || key.length === 0 || key.length > 255))
    throw new InvalidOptionError(
      `enqueue "${type}": the type's concurrencyKey(payload) must return a string of 1-255 characters or nothing, got ${describeValue(key)}`,
    );
  return key;
}

const NO_OPTIONS: EnqueueOptions = Object.freeze({});

/** `job:enqueue` per job — built only when someone listens: a bulk enqueue pays nothing otherwise. */
export function reportEnqueued(
  events: TickflowEvents,
  inserts: readonly JobInsert[],
  results: readonly InsertResult[],
): void {
  if (!events.observed("job:enqueue")) return;
  results.forEach((result, i) => {
    const { type, queue, runAt } = inserts[i]!;
    events.emit("job:enqueue", {
      jobId: result.id,
      type,
      queue,
      runAt,
      duplicate: result.status === "duplicate",
    });
  });
}

/** Everything about a job but its payload, validated (see buildJobInsert). */
function jobTemplate(
  registry: JobRegistry,
  type: string,
  options: EnqueueOptions,
  now: number,
): Omit<JobInsert, "payload"> {
  const definition = registry.get(type);
  const owner = `enqueue "${type}"`;
  const problem = optionsProblem(options, ENQUEUE_OPTION_KEYS, "enqueue options");
  if (problem) throw new InvalidOptionError(`${owner}: ${problem}`);
  const resolved = resolveJobOptions(options, definition.options, owner);
  if (options.runAt !== undefined && options.delay !== undefined) {
    throw new InvalidOptionError(`${owner}: give runAt or delay, not both`);
  }
  let runAt = now;
  if (options.runAt !== undefined) {
    const given: unknown = options.runAt;
    runAt = given instanceof Date ? given.getTime() : typeof given === "number" ? given : Number.NaN;
    if (!Number.isFinite(runAt))
      throw new InvalidOptionError(
        `${owner}: runAt must be a Date or epoch milliseconds, got ${describeValue(options.runAt)}`,
      );
    if (runAt < 0 || runAt > MAX_INSTANT_MS)
      throw new InvalidOptionError(
        `${owner}: runAt ${describeValue(options.runAt)} is out of range: from 1970-01-01 to 9999-12-31 (epoch ms 0 to ${MAX_INSTANT_MS})`,
      );
    // Times are whole milliseconds everywhere (a fraction is not storable on PostgreSQL's bigint).
    runAt = Math.round(runAt);
  } else if (options.delay !== undefined) {
    if (typeof options.delay === "number" && options.delay < 0) {
      throw new InvalidOptionError(`${owner}: delay must not be negative, got ${options.delay}`);
    }
    runAt = now + parseDuration(options.delay, `${owner}: delay`);
  }
  if (options.client !== undefined && !isPgClient(options.client)) {
    throw new InvalidOptionError(
      `${owner}: client must be a pg Client or PoolClient (from the pg package) inside an open transaction, got ${describeValue(options.client)}`,
    );
  }
  for (const [name, value] of [
    ["key", options.key],
    ["stateKey", options.stateKey],
    ["concurrencyKey", options.concurrencyKey],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0 || value.length > 255)) {
      throw new InvalidOptionError(`${owner}: ${name} must be a string of 1-255 characters`);
    }
  }
  const dedupe = dedupeOf(options, owner);
  // Debounce: the job waits out its delay (a later enqueue with the key pushes it further).
  if (dedupe?.mode === "debounce") runAt = Math.max(runAt, now + dedupe.windowMs);
  return {
    type,
    queue: resolved.queue,
    priority: resolved.priority,
    maxAttempts: resolved.maxAttempts,
    runAt,
    key: options.key ?? null,
    timeoutMs: resolved.timeoutMs,
    backoff: JSON.stringify(resolved.backoff),
    stateKey: options.stateKey ?? null,
    concurrencyKey: options.concurrencyKey ?? null,
    dedupe,
  };
}

/** debounce / throttle / singleton: at most one, with a key and its window. */
function dedupeOf(options: EnqueueOptions, owner: string): DedupeInsert | null {
  const given = (["debounce", "throttle", "singleton"] as const).filter((m) => options[m] !== undefined);
  if (given.length === 0) return null;
  if (given.length > 1)
    throw new InvalidOptionError(`${owner}: give one of debounce, throttle and singleton`);
  const mode = given[0] as DedupeInsert["mode"];
  const value = options[mode] as { key?: unknown; delay?: Duration; window?: Duration };
  const field = mode === "debounce" ? "delay" : mode === "throttle" ? "window" : undefined;
  const problem = optionsProblem(value, field ? ["key", field] : ["key"], `${mode} options`);
  if (problem) throw new InvalidOptionError(`${owner}: ${problem}`);
  if (typeof value.key !== "string" || value.key.length === 0 || value.key.length > 255)
    throw new InvalidOptionError(`${owner}: ${mode}.key must be a string of 1-255 characters`);
  if (field && value[field] === undefined)
    throw new InvalidOptionError(`${owner}: ${mode}.${field} is required`);
  const windowMs = field ? parseDuration(value[field] as Duration, `${owner}: ${mode}.${field}`) : 0;
  return { mode, key: value.key, windowMs };
}

/** The payload type a job definition takes (`unknown` for a type given by name). */
export type PayloadOf<D> = D extends JobDefinition<infer P, unknown> ? P : unknown;

export function typeName(type: string | JobDefinition<never, never>): string {
  return typeof type === "string" ? type : type.name;
}

const ITEM_KEYS = ["type", "payload", "options"] as const;

/**
 * Checks the shape of enqueueMany's argument (an array of { type, payload?, options? }) before
 * any item is looked at, so `enqueueMany("nope")` is a clear error rather than a TypeError.
 */
export function checkEnqueueManyItems(items: unknown): void {
  if (!Array.isArray(items)) {
    throw new InvalidOptionError(
      `enqueueMany: expected an array of { type, payload?, options? }, got ${describeValue(items)}`,
    );
  }
  let client: unknown;
  items.forEach((item: unknown, i) => {
    const problem = optionsProblem(item, ITEM_KEYS, `item ${i}`);
    if (problem || item === undefined) {
      throw new InvalidOptionError(`enqueueMany: ${problem ?? `item ${i} must be an object, got undefined`}`);
    }
    const { type, options } = item as { type?: unknown; options?: { client?: unknown } };
    const isDefinition =
      typeof type === "object" && type !== null && typeof (type as { name?: unknown }).name === "string";
    if (typeof type !== "string" && !isDefinition) {
      throw new InvalidOptionError(
        `enqueueMany: item ${i}: type must be a job type name or a defineJob(…) result, got ${describeValue(type)}`,
      );
    }
    const itemClient = typeof options === "object" && options !== null ? options.client : undefined;
    if (itemClient !== undefined) {
      if (client !== undefined && client !== itemClient) {
        throw new InvalidOptionError(
          `enqueueMany: item ${i}: every item must use the same client (one transaction holds them all)`,
        );
      }
      client = itemClient;
    }
  });
}
