/**
 * The entry of a handler thread (piscina loads it once per thread). It imports the handler's
 * module (once per thread), rebuilds the handler's `ctx` from plain data, runs the handler and
 * answers with the state it left. The logger and the abort signal travel over the task's port.
 */
import type { MessagePort } from "node:worker_threads";
import type { LogLevel, ThreadAbort, ThreadLogLine, ThreadResult, ThreadTask } from "./thread-protocol.ts";

type Handler = (payload: unknown, ctx: unknown) => unknown;

const modules = new Map<string, Promise<Record<string, unknown>>>();

export default async function runInThread(task: ThreadTask): Promise<ThreadResult> {
  const controller = new AbortController();
  task.port.on("message", (message: ThreadAbort) => {
    if (message.kind !== "abort") return;
    const error = new Error(message.message);
    error.name = "AttemptAbort";
    controller.abort(Object.assign(error, { reason: message.reason }));
  });
  try {
    const handler = await handlerOf(task);
    const ctx = new ThreadContext(task, controller.signal);
    await handler(JSON.parse(task.payload), ctx);
    return { state: ctx.stateChanged ? JSON.stringify(ctx.state) : undefined };
  } finally {
    task.port.close();
  }
}

async function handlerOf(task: ThreadTask): Promise<Handler> {
  let loading = modules.get(task.href);
  if (!loading) {
    loading = importModule(task.href);
    modules.set(task.href, loading);
    loading.catch(() => modules.delete(task.href));
  }
  const handler = (await loading)[task.exportName];
  if (typeof handler !== "function")
    throw new Error(
      `${task.href} has no function export "${task.exportName}" to run as the handler of ${task.job.type}`,
    );
  return handler as Handler;
}

/** Plain Node first; a TypeScript module the runtime cannot load goes through tsx's scoped loader. */
async function importModule(href: string): Promise<Record<string, unknown>> {
  try {
    return (await import(href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION" || !/\.[cm]?ts$/.test(href))
      throw error;
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(href, import.meta.url)) as Record<string, unknown>;
  }
}

/** The handler's `ctx` in the thread: the same fields as in-process, state saved on return. */
class ThreadContext {
  readonly jobId: string;
  readonly type: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly scheduledFor: number | null;
  readonly signal: AbortSignal;
  readonly logger: ThreadLogger;
  stateChanged = false;
  #state: unknown;

  constructor(task: ThreadTask, signal: AbortSignal) {
    this.jobId = task.job.jobId;
    this.type = task.job.type;
    this.queue = task.job.queue;
    this.attempt = task.job.attempt;
    this.maxAttempts = task.job.maxAttempts;
    this.scheduledFor = task.job.scheduledFor;
    this.signal = signal;
    this.logger = new ThreadLogger(task.port, {});
    this.#state = task.state === undefined ? undefined : JSON.parse(task.state);
  }

  get state(): unknown {
    return this.#state;
  }
  set state(value: unknown) {
    this.stateChanged = true;
    this.#state = value;
  }
}

/** The Logger's call shapes — (msg), (fields, msg?) — forwarded to the attempt's logger in the pool. */
class ThreadLogger {
  constructor(
    private readonly port: MessagePort,
    private readonly bindings: Record<string, unknown>,
  ) {}

  debug = (first: unknown, message?: string) => this.line("debug", first, message);
  info = (first: unknown, message?: string) => this.line("info", first, message);
  warn = (first: unknown, message?: string) => this.line("warn", first, message);
  error = (first: unknown, message?: string) => this.line("error", first, message);

  child(bindings: Record<string, unknown>): ThreadLogger {
    return new ThreadLogger(this.port, { ...this.bindings, ...bindings });
  }

  private line(level: LogLevel, first: unknown, message: string | undefined): void {
    const line: ThreadLogLine =
      typeof first === "object" && first !== null
        ? { kind: "log", level, bindings: this.bindings, fields: loggable(first), message }
        : { kind: "log", level, bindings: this.bindings, fields: undefined, message: String(first) };
    this.port.postMessage(line);
  }
}

/** An Error does not survive structured clone with its stack as a field pino would print: flatten it. */
function loggable(fields: object): Record<string, unknown> {
  if (fields instanceof Error)
    return { err: { type: fields.name, message: fields.message, stack: fields.stack } };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
