/**
 * What crosses the boundary between the worker pool and a handler thread. Plain data only:
 * structured clone carries it, and a MessagePort (transferred with the task) carries the
 * handler's log lines and the attempt's abort back and forth while it runs.
 */
import type { MessagePort } from "node:worker_threads";

/** One attempt handed to a thread. */
export interface ThreadTask {
  /** The handler module's file: URL and the export that is the handler. */
  href: string;
  exportName: string;
  /** The job's payload as stored (JSON text), parsed in the thread. */
  payload: string;
  job: {
    jobId: string;
    type: string;
    queue: string;
    attempt: number;
    maxAttempts: number;
    scheduledFor: number | null;
  };
  /** The durable state loaded for the attempt (JSON text), or undefined when it has none. */
  state: string | undefined;
  port: MessagePort;
}

/** What a thread answers when its handler settles without throwing. */
export interface ThreadResult {
  /** ctx.state as the handler left it (JSON text); undefined when it was never set. */
  state: string | undefined;
}

/** The levels of tickflow's Logger (the one a handler's ctx.logger has in-process). */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Thread → pool: a line for the attempt's logger. */
export interface ThreadLogLine {
  kind: "log";
  level: LogLevel;
  bindings: Record<string, unknown>;
  fields: Record<string, unknown> | undefined;
  message: string | undefined;
}

/** Pool → thread: the attempt was aborted (the thread is terminated after a short grace). */
export interface ThreadAbort {
  kind: "abort";
  reason: string;
  message: string;
}
