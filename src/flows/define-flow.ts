import { type BackoffOption, type BackoffPolicy, parseBackoff } from "../core/backoff.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import type { TriggerSource } from "../core/flow-run-state.ts";
import { MAX_TIMER_MS } from "../core/limits.ts";
import { validateFlowName, validateQueueName } from "../core/names.ts";
import { optionsProblem } from "../core/options.ts";
import { parseTrigger, type Trigger, type TriggerOption } from "../core/triggers.ts";
import { InvalidFlowError } from "../errors.ts";
import type { Logger } from "../logger.ts";

/** What a flow's `run(ctx)` receives. */
export interface FlowContext {
  /** The flow's name. */
  readonly flow: string;
  /** This run's id in `data_flow_runs`. */
  readonly runId: string;
  /** The flow-run job executing it (shared by every retry of one trigger). */
  readonly jobId: string;
  /** 1 for the first attempt; each retry is a new run with the next attempt number. */
  readonly attempt: number;
  /** `retries + 1`. */
  readonly maxAttempts: number;
  readonly source: TriggerSource;
  /** Aborted at the flow's timeout and at shutdown: pass it to fetch, database drivers & co. */
  readonly signal: AbortSignal;
  /** A child logger bound to the flow, run and job. */
  readonly logger: Logger;
  /** For runs fired by the flow's schedule: the nominal fire time (epoch ms); otherwise null. */
  readonly scheduledFor: number | null;
}

export interface FlowOptions {
  /** Letters, digits, `_ - .`, 1–64 characters; the flow's identity across deploys. */
  name: string;
  /**
   * When the flow runs by itself: a cron expression (`"0 * * * *"`, 5 or 6 fields, UTC), an
   * interval (`"30s"`, `"5m"`), or `{ cron, timezone }` / `{ every }` / `{ at }`. Omitted: the
   * flow runs only when triggered.
   */
  schedule?: string | TriggerOption;
  /**
   * Only `POST /heartbeat` drives the flow: its `schedule` is evaluated when a heartbeat arrives
   * (due when a fire time passed since its last run), and the internal scheduler never fires it.
   * Default false: both drive it, and each period runs at most once whichever gets there first.
   */
  heartbeatOnly?: boolean;
  /** The queue its flow-run jobs wait in. Default `"default"`; letters, digits, `_ - .`, 1–64. */
  queue?: string;
  /** Retries after a failed attempt (each a new run row). Default 2, i.e. 3 attempts. */
  retries?: number;
  /** Per-attempt time limit, e.g. `"5m"`; on expiry `ctx.signal` aborts and the run fails. Default none. */
  timeout?: Duration;
  /** Delay between attempts; default exponential from 1 s with jitter (as jobs). */
  backoff?: BackoffOption;
  /** The work. A throw (or rejection) fails the run and is retried per `retries`. */
  run(ctx: FlowContext): unknown | Promise<unknown>;
}

/** A validated flow: what `defineFlow` returns and `createTickflow({ flows })` takes. */
export interface FlowDefinition {
  readonly name: string;
  readonly schedule: Trigger | null;
  /** Its schedule is evaluated only by `POST /heartbeat` (no stored schedule fires it). */
  readonly heartbeatOnly: boolean;
  readonly queue: string;
  readonly retries: number;
  readonly timeoutMs: number | null;
  readonly backoff: BackoffPolicy;
  readonly run: (ctx: FlowContext) => unknown | Promise<unknown>;
  readonly [FLOW_DEFINITION]: true;
}

/** Marks defineFlow results, so a flows folder's exports can be told apart from anything else. */
export const FLOW_DEFINITION: unique symbol = Symbol.for("tickflow.flow-definition");

export const DEFAULT_FLOW_QUEUE = "default";
export const DEFAULT_FLOW_RETRIES = 2;
/** Retries beyond this are almost certainly a typo (and would keep a broken flow taken for days). */
const MAX_RETRIES = 100;

/**
 * Declares a data flow (spec §6). Everything is validated here, so a bad name, queue, schedule or
 * option fails when the file loads, with an error naming the flow and the fix — never at run time.
 *
 * ```ts
 * export default defineFlow({
 *   name: "sync-customers",
 *   schedule: "*\/15 * * * *",
 *   queue: "etl",
 *   retries: 3,
 *   timeout: "10m",
 *   async run(ctx) { await syncCustomers({ signal: ctx.signal }); },
 * });
 * ```
 */
export function defineFlow(options: FlowOptions): FlowDefinition {
  if (typeof options !== "object" || options === null) {
    throw new InvalidFlowError("defineFlow needs an options object: { name, run, … }");
  }
  const name = (() => {
    try {
      return validateFlowName(options.name);
    } catch (error) {
      throw new InvalidFlowError((error as Error).message);
    }
  })();
  const fail = (message: string): never => {
    throw new InvalidFlowError(`flow "${name}": ${message}`);
  };
  const problem = optionsProblem(options, FLOW_OPTION_KEYS, "defineFlow options");
  if (problem) fail(problem);
  if (typeof options.run !== "function") fail("run must be a function (async (ctx) => { … })");
  let queue = DEFAULT_FLOW_QUEUE;
  if (options.queue !== undefined) {
    try {
      queue = validateQueueName(options.queue);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  const retries = options.retries ?? DEFAULT_FLOW_RETRIES;
  if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    fail(`retries must be an integer from 0 to ${MAX_RETRIES}, got ${JSON.stringify(options.retries)}`);
  }
  let timeoutMs: number | null = null;
  if (options.timeout !== undefined) {
    try {
      // A timer: past 2^31-1 ms setTimeout fires at once.
      timeoutMs = parseDuration(options.timeout, "timeout", MAX_TIMER_MS);
    } catch (error) {
      fail((error as Error).message);
    }
    if (timeoutMs === 0) fail("timeout must be greater than 0");
  }
  const heartbeatOnly = options.heartbeatOnly ?? false;
  if (typeof heartbeatOnly !== "boolean") fail("heartbeatOnly must be true or false");
  if (heartbeatOnly && options.schedule === undefined) {
    fail('heartbeatOnly needs a schedule: the heartbeat evaluates it (e.g. schedule: "5m")');
  }
  let backoff: BackoffPolicy = parseBackoff(undefined);
  try {
    backoff = parseBackoff(options.backoff);
  } catch (error) {
    fail((error as Error).message);
  }
  return {
    name,
    schedule: options.schedule === undefined ? null : parseFlowSchedule(name, options.schedule),
    heartbeatOnly,
    queue,
    retries,
    timeoutMs,
    backoff,
    run: options.run,
    [FLOW_DEFINITION]: true,
  };
}

export function isFlowDefinition(value: unknown): value is FlowDefinition {
  return typeof value === "object" && value !== null && (value as FlowDefinition)[FLOW_DEFINITION] === true;
}

const FLOW_OPTION_KEYS = [
  "name",
  "schedule",
  "heartbeatOnly",
  "queue",
  "retries",
  "timeout",
  "backoff",
  "run",
] as const;
const TRIGGER_KEYS = ["cron", "timezone", "every", "at"] as const;

const DURATION_TEXT = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;

/** `"*\/5 * * * *"` → cron (UTC); `"30s"` → every; an object → as given. */
function parseFlowSchedule(name: string, schedule: string | TriggerOption): Trigger {
  let option: TriggerOption;
  if (typeof schedule === "string") {
    const text = schedule.trim();
    option = DURATION_TEXT.test(text) ? { every: text } : { cron: text };
  } else if (typeof schedule === "object" && schedule !== null && !Array.isArray(schedule)) {
    const problem = optionsProblem(schedule, TRIGGER_KEYS, "schedule");
    if (problem) throw new InvalidFlowError(`flow "${name}": ${problem}`);
    option = schedule;
  } else {
    throw new InvalidFlowError(
      `flow "${name}": schedule must be a cron expression, an interval such as "5m", or { cron | every | at }`,
    );
  }
  try {
    return parseTrigger(option, name);
  } catch (error) {
    const message = (error as Error).message.replace(`schedule "${name}": `, "");
    throw new InvalidFlowError(`flow "${name}": invalid schedule: ${message}`);
  }
}
