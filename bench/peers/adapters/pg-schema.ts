import type { BenchEnv } from "../adapter.ts";

type PgModule = {
  default: {
    Client: new (options: {
      connectionString: string;
    }) => {
      connect(): Promise<void>;
      query(sql: string): Promise<unknown>;
      end(): Promise<void>;
    };
    escapeIdentifier(name: string): string;
  };
};

/** Drops a run's own schema (the PostgreSQL adapters and floors all live in one). */
export async function dropSchema(env: BenchEnv): Promise<void> {
  const pg = ((await env.loadPeer("pg")) as PgModule).default;
  const db = new pg.Client({ connectionString: env.pgUrl! });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(env.namespace)} CASCADE`);
  } finally {
    await db.end();
  }
}
