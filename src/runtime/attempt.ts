import { afterFailure, type BackoffPolicy, DEFAULT_BACKOFF, readBackoffPolicy } from "../core/backoff.ts";
import { clampTimerMs } from "../core/limits.ts";
import type { TickflowEvents } from "../events.ts";
import type { ThreadPool } from "../isolation/thread-pool.ts";
import type { Logger } from "../logger.ts";
import type { AttemptFinish, ClaimedJob, FinishNext } from "../store/ports/job-store.ts";
import type { JobContext, JobDefinition } from "./registry.ts";

/** Why an attempt's signal was aborted. */
export type AbortCause = "timeout" | "shutdown" | "lease_lost" | "cancelled";

export class AttemptAbort extends Error {
  constructor(readonly reason: AbortCause) {
    super(reason === "timeout" ? "the job timed out" : `the job was aborted: ${reason.replace("_", " ")}`);
    this.name = "AttemptAbort";
  }
}

/**
 * An attempt's abort switch. The AbortSignal a handler sees is created on its first read of
 * `ctx.signal`: most handlers never read it, and an AbortController plus the listener the runner
 * kept on it were most of the runtime's own cost per job (measured against an in-memory store,
 * 12 µs → 5 µs with this and the spread-free finishFor).
 */
export class AttemptControl {
  private controller: AbortController | undefined;
  private listener: ((reason: AttemptAbort) => void) | undefined;
  /** Why the attempt was aborted; undefined while it was not. The first abort wins. */
  reason: AttemptAbort | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: AttemptAbort): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.listener?.(reason);
  }

  /** The runner's one listener (set, or cleared with undefined); no EventTarget involved. */
  onAbort(listener: ((reason: AttemptAbort) => void) | undefined): void {
    this.listener = listener;
  }
}

export interface AttemptDeps {
  workerId: string;
  logger: Logger;
  events: TickflowEvents;
  now(): number;
  random01(): number;
  loadState(key: string): Promise<unknown>;
  /** Where handlers defined by a module URL run. */
  threads: ThreadPool;
}

/** What became of one attempt: a finish for the store, or a hand-back (shutdown). */
export type AttemptResult = { kind: "finish"; finish: AttemptFinish } | { kind: "release" };

/**
 * Runs one attempt. Never throws and never waits for a handler past its abort: a handler that
 * ignores its signal is abandoned (its late settle is swallowed) so the worker slot frees at once.
 */
export async function runAttempt(
  job: ClaimedJob,
  definition: JobDefinition<unknown, unknown> | undefined,
  control: AttemptControl,
  deps: AttemptDeps,
): Promise<AttemptResult> {
  let timer: NodeJS.Timeout | undefined;
  if (job.timeoutMs !== null) {
    // Clamped: a stored timeout past 2^31-1 ms would otherwise abort the attempt at once.
    timer = setTimeout(() => control.abort(new AttemptAbort("timeout")), clampTimerMs(job.timeoutMs));
  }
  let ctx: AttemptContext | undefined;
  let outcome: Outcome;
  try {
    if (!definition) throw new Error(`no handler registered in this process for job type "${job.type}"`);
    const loaded = job.stateKey !== null ? await deps.loadState(job.stateKey) : undefined;
    ctx = new AttemptContext(job, control, deps, loaded);
    const context = ctx;
    deps.events.emit("job:start", {
      jobId: job.id,
      type: job.type,
      queue: job.queue,
      attempt: job.attempt,
      workerId: deps.workerId,
      startedAt: job.startedAt,
      scheduledFor: job.nominalAt,
      scheduleId: job.scheduleId,
    });
    const { thread } = definition;
    const run = thread
      ? deps.threads.run(thread, job.payload, context)
      : Promise.resolve().then(() => definition.handler(JSON.parse(job.payload), context));
    outcome = await raceAbort(run, control);
  } catch (error) {
    outcome = failed(error);
  } finally {
    clearTimeout(timer);
  }
  const abort = control.reason;
  if (abort?.reason === "shutdown") return { kind: "release" };
  // The state the handler left is saved with the outcome, failed or not: a monitor counts failures.
  return { kind: "finish", finish: finishFor(job, outcome, abort, ctx?.state, deps) };
}

type Outcome = { ok: true } | { ok: false; error: Error };
const OK: Outcome = Object.freeze({ ok: true });
const failed = (error: unknown): Outcome => ({ ok: false, error: toError(error) });

/** The handler's outcome, or the abort's if the attempt is aborted first (the handler is then abandoned). */
function raceAbort(run: Promise<unknown>, control: AttemptControl): Promise<Outcome> {
  if (control.reason) return Promise.resolve(failed(control.reason));
  return new Promise((resolve) => {
    control.onAbort((reason) => resolve(failed(reason)));
    run.then(
      () => {
        control.onAbort(undefined);
        resolve(control.reason ? failed(control.reason) : OK);
      },
      (error: unknown) => {
        control.onAbort(undefined);
        resolve(failed(control.reason ?? error));
      },
    );
  });
}

/**
 * The `ctx` a handler receives. A class, not an object literal with accessors: the literal made
 * a closure per accessor per job, the largest share of the runtime's own cost after GC (measured
 * with a store that does no I/O).
 */
class AttemptContext implements JobContext {
  readonly jobId: string;
  readonly type: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly scheduledFor: number | null;
  // #private, not TS private: console.log(ctx) and {...ctx} show the job, not runner internals.
  readonly #job: ClaimedJob;
  readonly #control: AttemptControl;
  readonly #deps: AttemptDeps;
  #logger: Logger | undefined;
  #state: unknown;

  constructor(job: ClaimedJob, control: AttemptControl, deps: AttemptDeps, initial: unknown) {
    this.jobId = job.id;
    this.type = job.type;
    this.queue = job.queue;
    this.attempt = job.attempt;
    this.maxAttempts = job.maxAttempts;
    this.scheduledFor = job.nominalAt;
    this.#job = job;
    this.#control = control;
    this.#deps = deps;
    this.#state = initial;
  }

  get signal(): AbortSignal {
    return this.#control.signal;
  }
  get state(): unknown {
    return this.#state;
  }
  set state(value: unknown) {
    if (this.#job.stateKey === null) warnStateless(this.#job.type, this.#deps.logger);
    this.#state = value;
  }
  /** Created on first use: a child logger per job costs ~1 µs we need not pay for silent jobs. */
  get logger(): Logger {
    const job = this.#job;
    this.#logger ??= this.#deps.logger.child({ job: job.type, jobId: job.id, attempt: job.attempt });
    return this.#logger;
  }
}

const warnedStateless = new Set<string>();

/** Assigning ctx.state on a job without a state key would be silently lost: say so, once per type. */
function warnStateless(type: string, logger: Logger): void {
  if (warnedStateless.has(type)) return;
  warnedStateless.add(type);
  logger.warn(
    { job: type },
    `job ${type} assigned ctx.state but has no state key, so it is not saved: declare the type with { stateful: true } (schedules) or enqueue with { stateKey }`,
  );
}

function finishFor(
  job: ClaimedJob,
  outcome: Outcome,
  abort: AttemptAbort | undefined,
  state: unknown,
  deps: AttemptDeps,
): AttemptFinish {
  const endedAt = deps.now();
  // One object, no spreads: this runs for every job and the finish batch holds on to it.
  const finish: AttemptFinish = {
    jobId: job.id,
    leaseToken: job.leaseToken,
    workerId: deps.workerId,
    attempt: job.attempt,
    startedAt: job.startedAt,
    endedAt,
    tick:
      job.scheduleId !== null && job.nominalAt !== null
        ? { scheduleId: job.scheduleId, nominalAt: job.nominalAt }
        : null,
    state:
      job.stateKey !== null && state !== undefined
        ? { key: job.stateKey, json: JSON.stringify(state) }
        : null,
    outcome: "succeeded",
    next: SUCCEEDED,
    error: null,
  };
  if (outcome.ok) return finish;
  // A malformed stored backoff must not lose the handler's error: it is recorded, with a note, and
  // the retry waits as the default policy says.
  const read = readBackoffPolicy(job.backoff);
  const policy: BackoffPolicy = "policy" in read ? read.policy : DEFAULT_BACKOFF;
  const decision = afterFailure(job.attempt, job.maxAttempts, policy, endedAt, deps.random01());
  finish.outcome =
    abort?.reason === "timeout" ? "timed_out" : decision.state === "discarded" ? "discarded" : "failed";
  finish.next = decision;
  const note =
    "problem" in read
      ? ` (and the job's stored backoff is malformed: ${read.problem}; the retry waits by the default backoff)`
      : "";
  finish.error = { message: `${outcome.error.message}${note}`, stack: outcome.error.stack ?? null };
  return finish;
}

const SUCCEEDED: FinishNext = Object.freeze({ state: "succeeded" });

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : `non-error thrown: ${safeString(value)}`);
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
