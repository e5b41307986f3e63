import type { Client, Pool, PoolClient } from "pg";

/**
 * A pg connection inside the caller's open transaction: `enqueue(…, { client })` joins it, so the
 * job exists if and only if that transaction commits. Types only: importing this loads no driver.
 */
export type TransactionClient = PoolClient | Client;

/** An application's pg pool, whose connection settings tickflow can open its connections with. */
export type ApplicationPool = Pool;
