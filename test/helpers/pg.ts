import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresStore, type PostgresStoreOptions } from "../../src/store/postgres/postgres-store.ts";

/**
 * Where the PostgreSQL tests run:
 * - `TICKFLOW_TEST_PG_URL` when set (a server that is down then fails the tests, as it should);
 * - else, unless `TICKFLOW_REQUIRE_PG` is set, a local server at FALLBACK_URL if it answers;
 * - else nowhere: the tests skip with `pgSkipReason()`, or fail under `TICKFLOW_REQUIRE_PG=1`.
 */
const FALLBACK_URL = "postgres://postgres@127.0.0.1:5432/test";
/** A local server answers in milliseconds; 2 s keeps a machine without one from waiting long. */
const PROBE_TIMEOUT_MS = 2_000;

export const pgRequired = Boolean(process.env.TICKFLOW_REQUIRE_PG);

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function resolveUrl(): Promise<{ url?: string; reason?: string }> {
  const configured = process.env.TICKFLOW_TEST_PG_URL;
  if (configured) return { url: configured };
  if (pgRequired) return { reason: "TICKFLOW_REQUIRE_PG is set but TICKFLOW_TEST_PG_URL is not" };
  if (await answers(FALLBACK_URL)) return { url: FALLBACK_URL };
  return { reason: `no PostgreSQL: set TICKFLOW_TEST_PG_URL (nothing answered at ${FALLBACK_URL})` };
}

const resolved = await resolveUrl();

/** The test server's URL, or undefined when the PostgreSQL tests must skip (see pgSkipReason). */
export function pgTestUrl(): string | undefined {
  return resolved.url;
}

/** Why the PostgreSQL tests do not run here, or undefined when they do. */
export function pgSkipReason(): string | undefined {
  return resolved.url ? undefined : resolved.reason;
}

/**
 * The `skip` option for a PostgreSQL test: the reason when no server answers, but never under
 * TICKFLOW_REQUIRE_PG (CI), where the test must run and fail instead of passing by skipping.
 */
export function pgTestSkip(): string | undefined {
  return pgRequired ? undefined : pgSkipReason();
}

/** Runs one statement as an administrator of the test database (schema drops, backend kills). */
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const url = pgTestUrl();
  if (!url) throw new Error(pgSkipReason());
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestPgStore {
  store: PostgresStore;
  schema: string;
  url: string;
  openAnother(options?: PostgresStoreOptions): Promise<PostgresStore>;
  cleanup(): Promise<void>;
}

/**
 * A migrated store in a schema of its own (`tickflow_test_<random>`), so test files and cases
 * never see each other's rows; `cleanup()` closes every store it opened and drops the schema.
 */
export async function createTestPgStore(options: PostgresStoreOptions = {}): Promise<TestPgStore> {
  const url = pgTestUrl();
  if (!url) throw new Error(pgSkipReason());
  const schema = `tickflow_test_${randomBytes(6).toString("hex")}`;
  const stores: PostgresStore[] = [];
  const open = (extra: PostgresStoreOptions = {}) => {
    // application_name = schema: a test can find (and kill) its own backends and no one else's.
    const store = new PostgresStore(url, {
      poolSize: 4,
      applicationName: schema,
      ...options,
      ...extra,
      schema,
    });
    stores.push(store);
    return store;
  };
  const store = open();
  await store.migrate();
  return {
    store,
    schema,
    url,
    async openAnother(extra) {
      return open(extra);
    },
    async cleanup() {
      for (const s of stores) await s.close();
      await adminQuery(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    },
  };
}

export interface TestPgDatabase {
  /** The database's name (`tickflow_test_db_<random>`). */
  name: string;
  /** A URL to it, with the test server's credentials. */
  url: string;
  /** Drops the database, ending any session still connected. */
  cleanup(): Promise<void>;
}

/**
 * A database of its own, for tests that act on every session in it (e.g. terminate all of
 * tickflow's backends) without touching other test files' connections in the shared database.
 */
export async function createTestPgDatabase(): Promise<TestPgDatabase> {
  const url = pgTestUrl();
  if (!url) throw new Error(pgSkipReason());
  const name = `tickflow_test_db_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return {
    name,
    url: parsed.toString(),
    async cleanup() {
      await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}
