/**
 * Whether PostgreSQL refused the values of a write — SQLSTATE class 22 (data exception: a NUL
 * byte, an out-of-range number), 23 (integrity) or 54 (program limit: an index row too large) —
 * or the driver could not serialize one (TypeError/RangeError), so a batch split may succeed.
 * Connection loss, serialization failures and the like are not: a split would only repeat them.
 */
export function isPostgresValueRefusal(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}
