import type { Logger } from "../../../src/logger.ts";

export type Level = "debug" | "info" | "warn" | "error";

export interface LogEntry {
  level: Level;
  msg: string;
  /** The child bindings and the object passed with the message, merged. */
  fields: Record<string, unknown>;
}

/**
 * A Logger that records every call (children share the record). `throwOn` makes a call whose
 * message matches throw, to fail a handler through its own logging.
 */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bindings: Record<string, unknown> = {},
    readonly options: { throwOn?: RegExp } = {},
  ) {}

  private record(level: Level, obj: object | string, msg?: string): void {
    const message = typeof obj === "string" ? obj : (msg ?? "");
    const fields = typeof obj === "string" ? { ...this.bindings } : { ...this.bindings, ...obj };
    this.entries.push({ level, msg: message, fields });
    if (this.options.throwOn?.test(message)) throw new Error(`logger refused: ${message}`);
  }

  debug(obj: object | string, msg?: string): void {
    this.record("debug", obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.record("info", obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.record("warn", obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.record("error", obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new RecordingLogger(this.entries, { ...this.bindings, ...bindings }, this.options);
  }

  /** Entries at `level` whose message matches. */
  find(level: Level, pattern: RegExp): LogEntry[] {
    return this.entries.filter((e) => e.level === level && pattern.test(e.msg));
  }
}
