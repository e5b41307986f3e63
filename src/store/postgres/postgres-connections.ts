import pg from "pg";
import type { DbRow } from "../shared/rows.ts";

export interface PostgresConnectionsOptions {
  schema: string;
  /** Pool connections at most (the worker loop's and the LISTEN connection are extra). */
  poolSize: number;
  applicationName: string;
  onError: (error: Error, where: string) => void;
  /**
   * Run before every write (statement or transaction); a promise to wait for, or undefined when
   * there is nothing to wait for (the hot path stays free of an extra await). Its rejection fails
   * the write: the schema check (SchemaGuard).
   */
  beforeWrite?: () => Promise<void> | undefined;
}

/** A claim waits this long for a pooled connection before failing (the worker loop then retries). */
const CONNECT_TIMEOUT_MS = 10_000;
/** The worker loop's connections besides the claim's: a finish batch and a renewal or release in flight. */
const LOOP_POOL_SIZE = 2;
/** Claims: one in flight per worker pool on this store (two pools may share a store in one process). */
const CLAIM_POOL_SIZE = 2;
/**
 * Loop connections are replaced this often, so their cached generic plans are made again against
 * current table sizes (a plan made while a table was nearly empty may scan it once it is not).
 */
const LOOP_CONNECTION_LIFETIME_S = 300;

/**
 * tickflow's connections to one database and schema, and the ways statements run on them: write
 * (autocommit, never retried), loopWrite and claimWrite (the worker loop's named statements), read
 * (retried once on a dropped connection) and transaction. The methods are bound, so sub-stores
 * take them as their dependencies directly.
 */
export class PostgresConnections {
  /** How to open one more connection like the pooled ones (the LISTEN connection). */
  readonly config: pg.ClientConfig;
  private readonly pool: pg.Pool;
  /**
   * The worker loop's statements (claim, finish, lease renewal, release) run on connections with
   * plan_cache_mode = force_generic_plan: each is planned once per connection instead of on every
   * run. Left to choose (auto), PostgreSQL replanned the claim every time, 0.5-0.7 ms of a 1.4 ms
   * claim of 50 jobs. Every statement sent here has a generic plan that is primary-key probes and
   * ordered index walks (see postgres-queries.ts), so nothing depends on parameter values.
   */
  private readonly loopPool: pg.Pool;
  /**
   * Claims, on connections of their own that commit without waiting for the WAL flush
   * (synchronous_commit = off): ~10 % more jobs/s at concurrency 50 (alternating runs: 23.7-33.9k
   * against 30.5-35.8k) and ~0.2 ms off a pickup from another process. Safe because a claim lost in a server crash only returns its jobs to where they were
   * (every later write, each finish among them, flushes it first: WAL is sequential), and the
   * claim's lease token is unique across such a loss (see claimStatement), so the attempt that
   * held the lost claim is fenced out. Enqueues and finishes keep durable commits.
   */
  private readonly claimPool: pg.Pool;
  private readonly reportError: (error: Error, where: string) => void;
  private readonly beforeWrite: () => Promise<void> | undefined;

  /** `connection`: a URL, or the connection settings of an application's pool (`pool.options`). */
  constructor(connection: string | pg.PoolConfig, options: PostgresConnectionsOptions) {
    this.reportError = options.onError;
    this.beforeWrite = options.beforeWrite ?? (() => undefined);
    this.config = {
      // Unqualified table names resolve to tickflow's schema on every pooled connection.
      // No bitmap scans: every statement here is best served by an ordered index walk, and a
      // bitmap scan only wins in the planner's eyes when it underestimates rows (no statistics
      // yet), where a claim then sorts every due job: 4 ms at 5 000 due jobs against 0.05 ms.
      ...withSessionSettings(connection, `-c search_path=${options.schema} -c enable_bitmapscan=off`),
      application_name: options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    };
    this.pool = new pg.Pool({ ...this.config, max: options.poolSize });
    const generic = `${this.config.options} -c plan_cache_mode=force_generic_plan`;
    this.loopPool = new pg.Pool({
      ...this.config,
      options: generic,
      max: LOOP_POOL_SIZE,
      maxLifetimeSeconds: LOOP_CONNECTION_LIFETIME_S,
    });
    this.claimPool = new pg.Pool({
      ...this.config,
      options: `${generic} -c synchronous_commit=off`,
      max: CLAIM_POOL_SIZE,
      maxLifetimeSeconds: LOOP_CONNECTION_LIFETIME_S,
    });
    // An idle pooled connection whose backend dies emits 'error' on the pool; unhandled, it would
    // crash the process. The pool has already dropped that connection; just report it.
    this.pool.on("error", (error) => this.reportError(error, "pool"));
    this.loopPool.on("error", (error) => this.reportError(error, "pool"));
    this.claimPool.on("error", (error) => this.reportError(error, "pool"));
  }

  /** One statement on the pool (autocommit). Writes are not retried: a lost reply may hide a commit. */
  readonly write = async (text: string, values: unknown[], name?: string): Promise<DbRow[]> => {
    const check = this.beforeWrite();
    if (check) await check;
    return (await this.pool.query({ text, values, name })).rows;
  };

  /** write(), for the worker loop's named statements: on the generic-plan connections. */
  readonly loopWrite = async (text: string, values: unknown[], name: string): Promise<DbRow[]> => {
    const check = this.beforeWrite();
    if (check) await check;
    return (await this.loopPool.query({ text, values, name })).rows;
  };

  /** A claim: on the generic-plan connections that commit without waiting for the WAL flush. */
  readonly claimWrite = async (text: string, values: unknown[], name: string): Promise<DbRow[]> => {
    const check = this.beforeWrite();
    if (check) await check;
    return (await this.claimPool.query({ text, values, name })).rows;
  };

  /** A read, retried once on a dropped connection (a killed backend, a restarted server). */
  readonly read = async (text: string, values: unknown[] = []): Promise<DbRow[]> => {
    try {
      return (await this.pool.query(text, values)).rows;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.reportError(error as Error, "read");
      return (await this.pool.query(text, values)).rows;
    }
  };

  /** Runs `fn` between BEGIN and COMMIT on one pooled connection; ROLLBACK on any error. */
  readonly transaction = <T>(fn: (client: pg.PoolClient) => Promise<T>, retried = false): Promise<T> =>
    this.transactionOn(this.pool, fn, retried);

  /**
   * transaction() on the claim connections (asynchronous commit, generic plans): a claim under
   * limits (postgres-limited-claim.ts). Its bucket writes may be lost with the claim in a server
   * crash: a few more starts than the rate right after one, never a job given twice.
   */
  readonly claimTransaction = <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    this.transactionOn(this.claimPool, fn, false);

  private async transactionOn<T>(
    pool: pg.Pool,
    fn: (client: pg.PoolClient) => Promise<T>,
    retried: boolean,
  ): Promise<T> {
    const check = retried ? undefined : this.beforeWrite();
    if (check) await check;
    const client = await pool.connect();
    // A checked-out connection has no 'error' listener of the pool's; one is needed while we hold it.
    const onError = (error: Error) => this.reportError(error, "transaction");
    client.on("error", onError);
    try {
      await client.query("BEGIN");
    } catch (error) {
      client.off("error", onError);
      client.release(error as Error);
      // Nothing ran yet: a connection that died while pooled may be retried once on a fresh one.
      if (!retried && isConnectionError(error)) return this.transactionOn(pool, fn, true);
      throw error;
    }
    let broken: Error | undefined;
    try {
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((e: Error) => {
        broken = e;
      });
      throw error;
    } finally {
      client.off("error", onError);
      // Releasing with an error destroys the connection instead of pooling a broken one.
      client.release(broken);
    }
  }

  async end(): Promise<void> {
    await Promise.all([this.pool.end(), this.loopPool.end(), this.claimPool.end()]);
  }
}

/**
 * pg lets a URL's own `?options=` replace the `options` field, which would drop our settings
 * (some hosts need URL options, e.g. `options=endpoint%3D…`): move them out and append ours.
 */
function withSessionSettings(connection: string | pg.PoolConfig, settings: string): pg.ClientConfig {
  if (typeof connection !== "string") {
    // The application's pool's connection settings, without its pool sizing (ours is set below).
    const {
      max,
      min,
      idleTimeoutMillis,
      maxLifetimeSeconds,
      maxUses,
      allowExitOnIdle,
      log,
      Client,
      ...client
    } = connection as pg.PoolConfig & { min?: number; maxLifetimeSeconds?: number; Client?: unknown };
    const own = typeof client.options === "string" ? client.options : "";
    return { ...client, options: own ? `${own} ${settings}` : settings };
  }
  const url = connection;
  const at = url.indexOf("?");
  if (at < 0) return { connectionString: url, options: settings };
  const params = new URLSearchParams(url.slice(at + 1));
  const own = params.get("options");
  params.delete("options");
  const rest = params.toString();
  return {
    connectionString: rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at),
    options: own ? `${own} ${settings}` : settings,
  };
}

/** SQLSTATE classes 08 (connection exception) and 57P (operator intervention), and socket errors. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("08") || code.startsWith("57P")) return true;
  if (["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"].includes(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    error.message,
  );
}
