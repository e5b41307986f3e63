/**
 * Whether better-sqlite3 refused the values of a write (a batch split may then succeed) rather
 * than the file or the lock failing (busy, I/O, full, read-only, closed), which a split would only
 * repeat. Binding errors (a value better-sqlite3 cannot bind) are TypeError/RangeError.
 */
const NOT_VALUES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|CORRUPT|NOTADB|PERM|INTERRUPT|NOMEM)/;

export function isSqliteValueRefusal(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") && !NOT_VALUES.test(code);
}
