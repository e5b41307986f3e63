import { type BackoffOption, type BackoffPolicy, parseBackoff } from "../core/backoff.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import type { JobLane } from "../core/lanes.ts";
import { MAX_ATTEMPTS, MAX_PRIORITY, MAX_TIMER_MS, MIN_PRIORITY } from "../core/limits.ts";
import { validateName, validateQueueName } from "../core/names.ts";
import { describeValue, optionsProblem } from "../core/options.ts";
import { InvalidOptionError, UnknownJobTypeError } from "../errors.ts";
import { type ThreadModule, threadModuleOf } from "../isolation/thread-module.ts";
import type { Logger } from "../logger.ts";

/** What a handler receives besides its payload. */
export interface JobContext<State = unknown> {
  readonly jobId: string;
  readonly type: string;
  readonly queue: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted at the job's timeout, when its lease is lost, and at shutdown. Pass it to fetch & co. */
  readonly signal: AbortSignal;
  /** A child logger bound to `job`, `jobId` and `attempt`. */
  readonly logger: Logger;
  /** For jobs fired by a schedule: the nominal fire time (epoch ms); otherwise null. */
  readonly scheduledFor: number | null;
  /**
   * Durable state (spec §3) for jobs with a state key — every job fired by a schedule has one.
   * Loaded before the run; assign a new JSON value and it is saved atomically with the outcome.
   */
  state: State | undefined;
}

export type JobHandler<Payload = unknown, State = unknown> = (
  payload: Payload,
  ctx: JobContext<State>,
) => unknown | Promise<unknown>;

/** Options a job type sets for all its jobs; each can be overridden per job at enqueue. */
export interface JobOptions {
  /** Default "default". Letters, digits, `_ - .`, 1–64 chars. */
  queue?: string;
  /** Higher runs first; default 0. */
  priority?: number;
  /** Attempts before a job is discarded; default 3. */
  maxAttempts?: number;
  /** Default exponential from 1 s, doubling, capped at 1 h, with jitter. */
  backoff?: BackoffOption;
  /** Per-attempt time limit, e.g. "30s"; default none. */
  timeout?: Duration;
  /**
   * The type keeps durable state in `ctx.state` (spec §3). Jobs of a stateful type fired by a
   * schedule share the key `schedule:<key>`; jobs sharing a state key never run at the same time,
   * so their state updates cannot race. Default false.
   */
  stateful?: boolean;
  /**
   * `"system"`: the type is tickflow's own proof-of-liveness work (heartbeat jobs, monitor checks,
   * alert deliveries). Its queue is served by the reserved lane — worker slots user jobs cannot
   * take — as well as by the ordinary pool. Default `"user"`.
   */
  lane?: JobLane;
}

export interface ResolvedJobOptions {
  queue: string;
  priority: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs: number | null;
  stateful: boolean;
  lane: JobLane;
}

/**
 * A handler that runs in a worker thread: its module's file: URL (the default export is the
 * handler), or the URL with the name of another export.
 */
export type ThreadHandler = URL | { module: URL; export: string };

export interface JobDefinition<Payload = unknown, State = unknown> {
  readonly name: string;
  readonly handler: JobHandler<Payload, State>;
  readonly options: ResolvedJobOptions;
  /** Set when the handler runs in a worker thread (defineJob given a module URL). */
  readonly thread?: ThreadModule;
  /** The default concurrency key of a job of this type (per-key limits), from its payload. */
  readonly concurrencyKey?: (payload: Payload) => string | null | undefined;
}

/** defineJob's options: the per-job defaults, and the type's default concurrency key. */
export interface DefineJobOptions<Payload = unknown> extends JobOptions {
  /** The concurrency key per-key limits count by, from the payload (enqueue's `concurrencyKey` overrides it). */
  concurrencyKey?: (payload: Payload) => string | null | undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Declares a job type. The returned definition is passed to `createTickflow({ jobs })` (or
 * `tickflow.register`) and can be given to `enqueue` instead of the name for typed payloads.
 */
export function defineJob<Payload = unknown, State = unknown>(
  name: string,
  handler: JobHandler<Payload, State> | ThreadHandler,
  options: DefineJobOptions<Payload> = {},
): JobDefinition<Payload, State> {
  validateName(name, "job type");
  const thread = threadOf(name, handler);
  if (!thread && typeof handler !== "function")
    throw new InvalidOptionError(`job "${name}": handler must be a function or a module's file: URL`);
  const problem = optionsProblem(options, DEFINE_JOB_KEYS, "defineJob options");
  if (problem) throw new InvalidOptionError(`job "${name}": ${problem}`);
  const { concurrencyKey } = options;
  if (concurrencyKey !== undefined && typeof concurrencyKey !== "function")
    throw new InvalidOptionError(`job "${name}": concurrencyKey must be a function of the payload`);
  const resolved = resolveJobOptions(options, DEFAULTS, `job "${name}"`);
  const keyed = concurrencyKey ? { concurrencyKey } : {};
  if (!thread) return { name, handler: handler as JobHandler<Payload, State>, options: resolved, ...keyed };
  return { name, handler: runsInThread as JobHandler<Payload, State>, options: resolved, thread, ...keyed };
}

function threadOf(name: string, handler: unknown): ThreadModule | undefined {
  if (handler instanceof URL) return threadModuleOf(`job "${name}"`, handler);
  if (
    typeof handler === "object" &&
    handler !== null &&
    "module" in handler &&
    handler.module instanceof URL
  ) {
    const named = handler as { module: URL; export?: string };
    return threadModuleOf(`job "${name}"`, named.module, { export: named.export });
  }
  return undefined;
}

/** The in-process handler of a thread job: the worker pool runs the module instead. */
const runsInThread: JobHandler<unknown, unknown> = () => {
  throw new Error("this job's handler runs in a worker thread, through the worker pool");
};

const DEFAULTS: ResolvedJobOptions = {
  queue: "default",
  priority: 0,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  backoff: parseBackoff(undefined),
  timeoutMs: null,
  stateful: false,
  lane: "user",
};

/** Validates options against the built-in defaults (for definition-time checks). */
export function validateJobOptions(options: JobOptions, owner: string): void {
  resolveJobOptions(options, DEFAULTS, owner);
}

/** The keys of JobOptions: what defineJob takes (enqueue and defineSchedule add their own). */
export const JOB_OPTION_KEYS = [
  "queue",
  "priority",
  "maxAttempts",
  "backoff",
  "timeout",
  "stateful",
] as const;

/** defineJob takes the per-job options and the type's lane (a lane is not chosen per job). */
const DEFINE_JOB_KEYS = [...JOB_OPTION_KEYS, "lane", "concurrencyKey"] as const;

/**
 * Merges `options` over `base`, validating each; errors are prefixed with `owner`. Unknown keys
 * are checked by the callers, which know the full set their options object allows.
 */
export function resolveJobOptions(
  options: JobOptions,
  base: ResolvedJobOptions,
  owner: string,
): ResolvedJobOptions {
  try {
    const resolved = { ...base };
    if (options.queue !== undefined) resolved.queue = validateQueueName(options.queue);
    if (options.priority !== undefined) {
      const { priority } = options;
      if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY)
        throw new InvalidOptionError(
          `priority must be an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}, got ${describeValue(priority)}`,
        );
      resolved.priority = priority;
    }
    if (options.maxAttempts !== undefined) {
      const { maxAttempts } = options;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
        throw new InvalidOptionError(
          `maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS}, got ${describeValue(maxAttempts)}`,
        );
      }
      resolved.maxAttempts = maxAttempts;
    }
    if (options.stateful !== undefined) {
      if (typeof options.stateful !== "boolean")
        throw new InvalidOptionError(
          `stateful must be true or false, got ${describeValue(options.stateful)}`,
        );
      resolved.stateful = options.stateful;
    }
    if (options.lane !== undefined) {
      if (options.lane !== "user" && options.lane !== "system")
        throw new InvalidOptionError(`lane must be "user" or "system", got ${JSON.stringify(options.lane)}`);
      resolved.lane = options.lane;
    }
    if (options.backoff !== undefined) resolved.backoff = parseBackoff(options.backoff);
    if (options.timeout !== undefined) {
      // The timeout is a timer: past 2^31-1 ms setTimeout fires at once, so that is the limit.
      const timeoutMs = parseDuration(options.timeout, "timeout", MAX_TIMER_MS);
      if (timeoutMs === 0) throw new InvalidOptionError("timeout must be greater than 0");
      resolved.timeoutMs = timeoutMs;
    }
    return resolved;
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new InvalidOptionError(`${owner}: ${error.message}`);
    throw error;
  }
}

/** The job types one Tickflow instance knows. */
export class JobRegistry {
  private readonly definitions = new Map<string, JobDefinition<never, never>>();

  register(definition: JobDefinition<never, never>): void {
    const existing = this.definitions.get(definition.name);
    if (existing && existing !== definition) {
      throw new InvalidOptionError(`job type "${definition.name}" is already registered`);
    }
    this.definitions.set(definition.name, definition);
  }

  get(name: string): JobDefinition<unknown, unknown> {
    const definition = this.definitions.get(name);
    if (!definition) throw new UnknownJobTypeError(name, this.names());
    return definition as unknown as JobDefinition<unknown, unknown>;
  }

  find(name: string): JobDefinition<unknown, unknown> | undefined {
    return this.definitions.get(name) as unknown as JobDefinition<unknown, unknown> | undefined;
  }

  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  all(): JobDefinition<unknown, unknown>[] {
    return [...this.definitions.values()] as unknown as JobDefinition<unknown, unknown>[];
  }
}
