import type pg from "pg";
import type { DbRow } from "../shared/rows.ts";

/** Anything with pg's `query(text, values)`: a pg.Client or a PoolClient inside a transaction. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: DbRow[]; rowCount?: number | null }>;
}

/** Jobs a write made claimable, for hints. */
export type Hinted = readonly { queue: string; runAt: number }[];

/** What the PostgreSQL store lends each aggregate file: its connections and its hints. */
export interface PostgresDeps {
  /** The store's schema: advisory locks of different schemas do not wait on each other. */
  schema: string;
  /** BEGIN … COMMIT on one pooled connection (with the adapter's connection-loss handling). */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** A read on the pool, retried once on a dropped connection. */
  read(text: string, values?: unknown[]): Promise<DbRow[]>;
  /** One autocommit statement on the pool (`name`: a prepared statement). */
  write(text: string, values: unknown[], name?: string): Promise<DbRow[]>;
  /** NOTIFY inside the transaction: other processes hear it when it commits. */
  notify(client: PgQueryable, jobs: Hinted): Promise<void>;
  /** This store's own listeners (its NOTIFYs are not echoed back to it). */
  notifyLocal(jobs: Hinted): void;
}

/** Job and run ids are bigint: anything else matches nothing (and must not reach a bigint parameter). */
export const isBigintId = (id: string): boolean => /^[0-9]{1,18}$/.test(id);

/** Bigint ids as decimal strings in numeric order: shorter is smaller, then digit by digit. */
export function compareIds(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}
