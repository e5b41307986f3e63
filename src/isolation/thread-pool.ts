/**
 * Handler threads: jobs whose type names a handler module run in a pool of worker threads
 * (piscina), so a CPU-bound or synchronously hung handler never blocks the process's event loop —
 * timers, lease renewals, heartbeats and every other job go on — and an abort (timeout, cancel,
 * lost lease, shutdown) terminates the thread for real instead of abandoning a handler that keeps
 * running. Threads, not child processes: a thread starts in ~10 ms against ~50 ms, shares the
 * process's memory limit and needs no IPC serialisation beyond structured clone; the isolation a
 * process adds (a native crash, a leak the thread's heap limit cannot bound) is not what this is for.
 */
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Logger } from "../logger.ts";
import type { JobContext } from "../runtime/registry.ts";
import type { ThreadModule } from "./thread-module.ts";
import type { ThreadAbort, ThreadLogLine, ThreadResult, ThreadTask } from "./thread-protocol.ts";

export interface ThreadPoolOptions {
  /** Threads at most: the worker pool's concurrency (every slot can hold a thread). */
  maxThreads: number;
}

/** An idle thread ends after this long: threads cost ~10 MB each. */
const IDLE_TIMEOUT_MS = 30_000;
/**
 * After an abort the handler's ctx.signal fires in the thread, and the thread is terminated this
 * long after: long enough for a cooperative handler to clean up, short enough that a timeout stops
 * a spinning one within a fifth of a second of its limit.
 */
const TERMINATE_GRACE_MS = 200;

// Compiled, the entry sits beside this file as .js; from source (tests, tsx) as .ts.
const WORKER_ENTRY = new URL(
  import.meta.url.endsWith(".ts") ? "./thread-worker.ts" : "./thread-worker.js",
  import.meta.url,
).href;

export class ThreadPool {
  private piscina: Piscina | undefined;

  constructor(private readonly options: ThreadPoolOptions) {}

  /** Runs one attempt's handler in a thread; settles with the state it left, or its error. */
  async run(module: ThreadModule, payload: string, ctx: JobContext): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (line: ThreadLogLine) => forward(ctx.logger, line));
    const terminate = new AbortController();
    const onAbort = () => {
      const reason = ctx.signal.reason as { reason?: string; message?: string } | undefined;
      const abort: ThreadAbort = {
        kind: "abort",
        reason: reason?.reason ?? "aborted",
        message: reason?.message ?? "the job was aborted",
      };
      port1.postMessage(abort);
      setTimeout(() => terminate.abort(ctx.signal.reason), TERMINATE_GRACE_MS).unref();
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
    const task: ThreadTask = {
      href: module.href,
      exportName: module.exportName,
      payload,
      job: {
        jobId: ctx.jobId,
        type: ctx.type,
        queue: ctx.queue,
        attempt: ctx.attempt,
        maxAttempts: ctx.maxAttempts,
        scheduledFor: ctx.scheduledFor,
      },
      state: ctx.state === undefined ? undefined : JSON.stringify(ctx.state),
      port: port2,
    };
    try {
      const result = (await this.pool().run(task, {
        transferList: [port2],
        signal: terminate.signal,
      })) as ThreadResult;
      if (result.state !== undefined) ctx.state = JSON.parse(result.state);
    } finally {
      // port1 is not closed here: log lines the thread sent just before it settled may still be
      // in flight. The thread closes its end when it settles, or its exit does; both close this one.
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  /** Ends every thread (a running handler is terminated: its attempt was released or failed first). */
  async destroy(): Promise<void> {
    const piscina = this.piscina;
    this.piscina = undefined;
    await piscina?.destroy();
  }

  /** Created on the first isolated job: a process that never runs one starts no thread. */
  private pool(): Piscina {
    this.piscina ??= new Piscina({
      filename: WORKER_ENTRY,
      minThreads: 0,
      maxThreads: Math.max(1, this.options.maxThreads),
      idleTimeout: IDLE_TIMEOUT_MS,
      // Every slot's job runs at once or not at all: nothing queues behind a busy thread.
      concurrentTasksPerWorker: 1,
    });
    return this.piscina;
  }
}

function forward(logger: Logger, line: ThreadLogLine): void {
  const target = Object.keys(line.bindings).length > 0 ? logger.child(line.bindings) : logger;
  if (line.fields) target[line.level](line.fields, line.message);
  else target[line.level](line.message ?? "");
}
