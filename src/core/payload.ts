import { InvalidPayloadError } from "../errors.ts";

/**
 * Serializes a payload as JSON, refusing anything that would not survive the round trip
 * (functions, symbols, undefined, NaN/Infinity, bigint, class instances other than Date, cycles).
 * The error names the path of the first bad value so the caller can find it.
 */
export function serializePayload(payload: unknown, type: string): string {
  const bad = findNonJson(payload, "payload", new Set(), 0);
  if (bad) throw new InvalidPayloadError(`job "${type}": ${bad}`);
  return JSON.stringify(payload ?? null);
}

/**
 * Deeper than this is refused with a clear error: a 20 000-deep value would otherwise overflow the
 * stack here or in JSON.stringify (a bare RangeError), and PostgreSQL's jsonb refuses deep values.
 */
export const MAX_PAYLOAD_DEPTH = 256;

function findNonJson(value: unknown, path: string, seen: Set<object>, depth: number): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (value === undefined) return path === "payload" ? undefined : `${path} is undefined (not JSON)`;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${path} is ${value} (not JSON)`;
  if (typeof value !== "object") return `${path} is a ${typeof value} (not JSON)`;
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? `${path} is an invalid Date (not JSON)` : undefined;
  if (seen.has(value)) return `${path} is a circular reference (not JSON)`;
  if (depth >= MAX_PAYLOAD_DEPTH) {
    return `payload is nested deeper than ${MAX_PAYLOAD_DEPTH} levels (at ${path.slice(0, 60)}…)`;
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const bad = findNonJson(value[i], `${path}[${i}]`, seen, depth + 1);
        if (bad) return bad;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${proto?.constructor?.name ?? "non-plain"} object (not JSON)`;
    }
    for (const [key, child] of Object.entries(value)) {
      const bad = findNonJson(child, `${path}.${key}`, seen, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}
