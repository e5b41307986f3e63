import { createRequire } from "node:module";
import pino from "pino";
import { redactUrl } from "./core/redact-url.ts";

/** The logging port: what tickflow code needs from a logger. pino satisfies it. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where JSON lines go (default stdout). */
  destination?: NodeJS.WritableStream;
}

/**
 * Every logged field named `url` goes through redactUrl (query strings and credentials removed):
 * the one redaction point for URLs, so refusal paths cannot leak `?token=…`.
 */
const serializers = { url: redactUrl };

/**
 * pino with secrets redacted: authorization headers and tokens never reach a log line.
 * Pretty output runs pino-pretty synchronously in-process (no worker thread) so lines appear
 * in order with the process's other output and nothing is lost on exit.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const redact = {
    paths: [
      "token",
      "*.token",
      "authorization",
      "*.authorization",
      "headers.authorization",
      "req.headers.authorization",
    ],
    censor: "[redacted]",
  };
  if (options.format === "pretty") {
    // Loaded lazily: JSON deployments never pay for it.
    const stream = prettyStream(options.destination);
    return pino({ level, redact, serializers, base: undefined }, stream) as unknown as Logger;
  }
  const destination = options.destination ?? pino.destination({ sync: true });
  return pino(
    { level, redact, serializers, base: { pid: process.pid } },
    destination as pino.DestinationStream,
  ) as unknown as Logger;
}

function prettyStream(destination: NodeJS.WritableStream | undefined): pino.DestinationStream {
  // pino-pretty's factory is synchronous; require keeps this module free of top-level await.
  const pretty = loadPretty();
  return pretty({
    colorize: process.stdout.isTTY ?? false,
    sync: true,
    destination: destination ?? 1,
    ignore: "pid,hostname",
  });
}

type PrettyFactory = (options: Record<string, unknown>) => pino.DestinationStream;
function loadPretty(): PrettyFactory {
  const require = createRequire(import.meta.url);
  return require("pino-pretty") as PrettyFactory;
}

/** A logger that drops everything: the default for tests and embedded use without config. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
