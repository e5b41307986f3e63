import { z } from "zod";
import { parseCidrList } from "../core/cidr.ts";
import { parseDuration } from "../core/duration.ts";

/** The HTTP service's settings (`http` in tickflow.config.ts; env TICKFLOW_HOST, … win). */
export interface HttpConfig {
  /** Serve HTTP from `tickflow start` (default true). */
  enabled?: boolean;
  /** env TICKFLOW_HOST; default 127.0.0.1 — loopback until you decide otherwise. */
  host?: string;
  /** env TICKFLOW_PORT; default 7070. */
  port?: number;
  /** Bearer tokens (env TICKFLOW_TOKEN, comma-separated): several at once for rotation; ≥ 16 characters. */
  tokens?: string[];
  /** env TICKFLOW_ALLOWED_IPS: CIDRs or addresses, IPv4 and IPv6; empty allows any peer. */
  allowedIps?: string[];
  /** env TICKFLOW_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed. */
  trustedProxies?: string[];
  /** env TICKFLOW_METRICS_PUBLIC: serve /metrics without a token. */
  metricsPublic?: boolean;
  /** Requests per client per window (env TICKFLOW_RATE_LIMIT, e.g. "600/1m"). */
  rateLimit?: { max: number; window: string | number };
  /**
   * Secret that derives each status badge's own key (env TICKFLOW_BADGE_SECRET, ≥ 16 characters):
   * `/badge/<kind>/<name>/<key>.svg`. Without it no badge is served.
   */
  badgeSecret?: string;
}

export interface ResolvedHttpConfig {
  enabled: boolean;
  host: string;
  port: number;
  tokens: string[];
  allowedIps: string[];
  trustedProxies: string[];
  metricsPublic: boolean;
  rateLimit: { max: number; windowMs: number };
  badgeSecret: string | null;
}

/** 16 characters: below that a token is guessable by a patient rate-limited attacker. */
export const MIN_TOKEN_LENGTH = 16;

const cidrs = (what: string) =>
  z.array(z.string()).superRefine((entries, ctx) => {
    try {
      parseCidrList(entries, what);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message.replace(`${what}: `, "") });
    }
  });

export const httpSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65_535).default(7070),
    tokens: z
      .array(
        z
          .string()
          .min(MIN_TOKEN_LENGTH, { message: `each token needs at least ${MIN_TOKEN_LENGTH} characters` }),
      )
      .default([]),
    allowedIps: cidrs("allowedIps").default([]),
    trustedProxies: cidrs("trustedProxies").default([]),
    metricsPublic: z.boolean().default(false),
    rateLimit: z
      .strictObject({
        max: z.number().int().min(1),
        window: z.union([z.string(), z.number()]).refine(
          (w) => {
            try {
              return parseDuration(w, "window") >= 1_000;
            } catch {
              return false;
            }
          },
          { message: 'must be a duration of at least 1s, e.g. "1m"' },
        ),
      })
      .default({ max: 600, window: "1m" }),
    badgeSecret: z
      .string()
      .min(MIN_TOKEN_LENGTH, { message: `needs at least ${MIN_TOKEN_LENGTH} characters` })
      .optional(),
  })
  .default({
    enabled: true,
    host: "127.0.0.1",
    port: 7070,
    tokens: [],
    allowedIps: [],
    trustedProxies: [],
    metricsPublic: false,
    rateLimit: { max: 600, window: "1m" },
  })
  .transform(
    (h): ResolvedHttpConfig => ({
      ...h,
      rateLimit: { max: h.rateLimit.max, windowMs: parseDuration(h.rateLimit.window, "window") },
      badgeSecret: h.badgeSecret ?? null,
    }),
  );

/** Environment variables of the HTTP service and the `http.*` key each sets. */
export const HTTP_ENV_KEYS = {
  TICKFLOW_HOST: "host",
  TICKFLOW_PORT: "port",
  TICKFLOW_TOKEN: "tokens",
  TICKFLOW_ALLOWED_IPS: "allowedIps",
  TICKFLOW_TRUSTED_PROXIES: "trustedProxies",
  TICKFLOW_METRICS_PUBLIC: "metricsPublic",
  TICKFLOW_RATE_LIMIT: "rateLimit",
  TICKFLOW_BADGE_SECRET: "badgeSecret",
} as const;

/** Reads the HTTP environment variables into an `http` config overlay and the sources map. */
export function httpFromEnv(
  env: NodeJS.ProcessEnv,
  parseFlag: (value: string | undefined) => boolean,
): { overlay: Record<string, unknown>; sources: Record<string, string> } {
  const overlay: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const list = (value: string) =>
    value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  for (const [name, key] of Object.entries(HTTP_ENV_KEYS)) {
    const value = env[name]?.trim();
    if (value === undefined || value === "") continue;
    sources[`http.${key}`] = name;
    if (key === "port") overlay.port = /^\d+$/.test(value) ? Number(value) : value;
    else if (key === "metricsPublic") overlay.metricsPublic = parseFlag(value);
    else if (key === "rateLimit") {
      const match = /^(\d+)\/(.+)$/.exec(value);
      // The window is a duration: digits alone are milliseconds, as in every duration variable.
      const window = match?.[2]?.trim() ?? "";
      overlay.rateLimit = match
        ? { max: Number(match[1]), window: /^\d+$/.test(window) ? Number(window) : window }
        : value;
    } else if (key === "host" || key === "badgeSecret") overlay[key] = value;
    else {
      // " , " is not "no list" (which allows any address): keep the blank entry so it is refused.
      const entries = list(value);
      overlay[key] = entries.length > 0 ? entries : value.split(",").map((v) => v.trim());
    }
  }
  return { overlay, sources };
}
