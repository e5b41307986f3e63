import { createHash, randomBytes } from "node:crypto";
import { resolveSecret, type SecretOption } from "../alerts/secrets.ts";
import type { CheckTrigger } from "../core/check-state.ts";
import { didYouMean } from "../core/did-you-mean.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import { isValidName } from "../core/names.ts";
import { describeValue } from "../core/options.ts";
import { parseTrigger } from "../core/triggers.ts";
import { InvalidOptionError } from "../errors.ts";
import type { CheckDefinitionRow } from "../store/ports/checks.ts";

/** What `defineCheck` (and the config file's `checks`) accepts. */
export interface CheckOptions {
  /** 1–64 letters, digits, `_ - .`: names the check in the API, alerts (`check:<key>`) and badges. */
  key: string;
  /** The expected period between successes ("1h", "15m", …) — or `cron` instead. */
  every?: Duration;
  /** A cron expression of when the work runs (5 or 6 fields), with `timezone`. */
  cron?: string;
  /** IANA time zone of `cron`; default UTC. */
  timezone?: string;
  /** How long past due the check is `late` before it is `down`; default "5m". */
  grace?: Duration;
  /**
   * The ping token (a secret), or `{ env: "NAME" }`. Without one a random token is generated
   * once and stored (read it with `tickflow checks --show-tokens`).
   */
  token?: SecretOption;
}

/** A validated check-in. */
export interface CheckDefinition {
  readonly kind: "check";
  readonly key: string;
  readonly trigger: CheckTrigger;
  readonly graceMs: number;
  /** SHA-256 (hex) of the configured token; null when a generated one is used. */
  readonly tokenHash: string | null;
}

const KNOWN = ["key", "every", "cron", "timezone", "grace", "token"];
export const DEFAULT_CHECK_GRACE = "5m";
/** At least 16 characters: a ping token must not be guessable. */
const MIN_TOKEN_LENGTH = 16;

/** SHA-256 hex of a ping token: what the store keeps and looks up. */
export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Declares a check-in (spec §12): work tickflow does not run (a system cron job, a backup script)
 * pings `/ping/<token>` when it succeeds; the check is `down` when no success arrives within its
 * period (or by its next cron time) plus `grace`. Validated here: one clear line on bad input.
 */
export function defineCheck(
  options: CheckOptions,
  env: Record<string, string | undefined> = {},
): CheckDefinition {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError(
      `check: expected an object with key and every (or cron), got ${describeValue(options)}`,
    );
  }
  if ((options as unknown as CheckDefinition).kind === "check") return options as unknown as CheckDefinition;
  const owner = isValidName(options.key) ? `check "${options.key}"` : "check";
  for (const key of Object.keys(options)) {
    if (KNOWN.includes(key)) continue;
    const near = didYouMean(key, KNOWN);
    throw new InvalidOptionError(
      `${owner}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}`,
    );
  }
  if (!isValidName(options.key)) {
    throw new InvalidOptionError(
      `${owner}: key must be 1-64 letters, digits, "_", "-" or ".", got ${describeValue(options.key)}`,
    );
  }
  let trigger: CheckTrigger;
  try {
    trigger = parseTrigger(
      { every: options.every, cron: options.cron, timezone: options.timezone },
      options.key,
    ) as CheckTrigger;
  } catch (error) {
    const message = (error as Error).message.replace(/^schedule "[^"]*": /, "").replace("cron or at", "cron");
    throw new InvalidOptionError(`${owner}: ${message}`);
  }
  let graceMs: number;
  try {
    graceMs = parseDuration(options.grace ?? DEFAULT_CHECK_GRACE, "grace");
  } catch (error) {
    throw new InvalidOptionError(`${owner}: ${(error as Error).message}`);
  }
  let tokenHash: string | null = null;
  if (options.token !== undefined) {
    const token = resolveSecret(options.token, env, `${owner}: token`);
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new InvalidOptionError(
        `${owner}: token must be at least ${MIN_TOKEN_LENGTH} characters (it is the only key to the ping URL)`,
      );
    }
    tokenHash = hashToken(token);
  }
  return { kind: "check", key: options.key, trigger, graceMs, tokenHash };
}

/** The stored definition, with a fresh token in case the check is new and has none configured. */
export function toCheckDefinitionRow(d: CheckDefinition): CheckDefinitionRow {
  // 144 bits, URL-safe: unguessable, and short enough for a crontab line.
  const generatedToken = randomBytes(18).toString("base64url");
  return {
    key: d.key,
    trigger: JSON.stringify(d.trigger),
    graceMs: d.graceMs,
    tokenHash: d.tokenHash,
    generatedToken,
    generatedTokenHash: hashToken(generatedToken),
  };
}
