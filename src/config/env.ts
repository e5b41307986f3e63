/**
 * `1`, `true`, `yes`, `on` (any case, surrounding spaces ignored) are true; everything else —
 * unset, empty, `0`, `false`, typos — is false. The one rule for boolean flags in the environment.
 */
export function parseBooleanFlag(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

// Shared with the option checks of the public API (src/core/options.ts).
export { didYouMean, editDistance } from "../core/did-you-mean.ts";
