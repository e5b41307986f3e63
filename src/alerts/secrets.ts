import { createHash, timingSafeEqual } from "node:crypto";
import { InvalidOptionError } from "../errors.ts";

/**
 * A secret in configuration: the value itself, or `{ env: "NAME" }` to read it from the
 * environment when the channel is defined (so the config file can be committed without it).
 */
export type SecretOption = string | { env: string };

/** Resolves a secret option against `env`; `what` names the option in the error. */
export function resolveSecret(value: unknown, env: Record<string, string | undefined>, what: string): string {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "object" && value !== null && typeof (value as { env?: unknown }).env === "string") {
    const name = (value as { env: string }).env;
    const found = env[name];
    if (found === undefined || found === "") {
      throw new InvalidOptionError(`${what}: environment variable ${name} is not set`);
    }
    return found;
  }
  throw new InvalidOptionError(`${what}: give the secret as a non-empty string or { env: "VARIABLE" }`);
}

/**
 * Compares two secrets in constant time (over SHA-256 digests, so lengths do not leak either).
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
