import { didYouMean } from "./did-you-mean.ts";

/**
 * Why `options` is not an options object, or which of its keys is unknown (with a did-you-mean);
 * undefined when it is fine. Callers prefix their owner and throw their own error class, so every
 * public options object (enqueue, defineJob, defineSchedule, defineFlow, defineMonitor,
 * createTickflow) refuses a typo such as `dealy` instead of silently ignoring it.
 */
export function optionsProblem(
  options: unknown,
  known: readonly string[],
  what = "options",
): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return `${what} must be an object, got ${describeValue(options)}`;
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = didYouMean(key, known);
    return near
      ? `unknown option "${key}" in ${what} (did you mean "${near}"?)`
      : `unknown option "${key}" in ${what} (known: ${known.join(", ")})`;
  }
  return undefined;
}

/** A short, safe description of a wrong value for an error message: `{}`, `null`, `"abc"`, `123`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  return "an object";
}
