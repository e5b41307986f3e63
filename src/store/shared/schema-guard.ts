import { SchemaTooNewError } from "../../errors.ts";

/** How long one look at the migration ledger stands before a write looks again. */
const RECHECK_MS = 60_000;

/**
 * Refuses writes into a schema newer than this code knows (issue 19: an enqueue-only client —
 * `createTickflow()` + `enqueue()`, never `start()` — wrote a job into one). Each adapter asks
 * `due()` before a write, reads the ledger's latest version when it is, and hands it to
 * `record()`, which throws SchemaTooNewError. Looked at again every minute, so a process left
 * running while a newer release migrates stops writing too. SQL-free: the adapters do the read.
 */
export class SchemaGuard {
  private checkedAt = Number.NEGATIVE_INFINITY;
  private tooNew: SchemaTooNewError | undefined;

  constructor(
    private readonly latestKnown: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the ledger must be read before this write. */
  due(): boolean {
    return this.tooNew !== undefined || this.now() - this.checkedAt >= RECHECK_MS;
  }

  /** The ledger's latest applied version (null: no ledger yet). Throws when it is too new. */
  record(latestApplied: number | null): void {
    this.checkedAt = this.now();
    this.tooNew =
      latestApplied !== null && latestApplied > this.latestKnown
        ? new SchemaTooNewError(latestApplied, this.latestKnown)
        : undefined;
    if (this.tooNew) throw this.tooNew;
  }
}
