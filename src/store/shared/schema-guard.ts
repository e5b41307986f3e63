import { SchemaTooNewError } from "../../errors.ts";

/**
 * Refuses writes into a schema newer than this code knows (issue 19: an enqueue-only client —
 * `createTickflow()` + `enqueue()`, never `start()` — wrote a job into one, where `start()` and
 * the CLI refuse). The same check as at startup, made by the first write of every store: each
 * adapter asks `due()` before a write, reads the ledger's latest version when it is, and hands it
 * to `record()`, which throws SchemaTooNewError (and keeps throwing). Once passed it is not made
 * again: a process already running when a newer release migrates keeps working, as rolling
 * deploys need (migrations only add). SQL-free: the adapters do the read.
 */
export class SchemaGuard {
  private passed = false;

  constructor(private readonly latestKnown: number) {}

  /** Whether the ledger must be read before this write. */
  due(): boolean {
    return !this.passed;
  }

  /** The ledger's latest applied version (null: no ledger yet). Throws when it is too new. */
  record(latestApplied: number | null): void {
    if (latestApplied !== null && latestApplied > this.latestKnown)
      throw new SchemaTooNewError(latestApplied, this.latestKnown);
    this.passed = true;
  }
}
