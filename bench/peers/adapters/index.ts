import type { Adapter } from "../adapter.ts";

/**
 * Every library, keyed by the id used on the command line and between processes. Loaded lazily:
 * a scenario process loads only the library it measures (idle RSS would count the others).
 */
export const ADAPTERS: Record<string, () => Promise<Adapter>> = {
  "tickflow-sqlite": async () => (await import("./tickflow.ts")).tickflowSqlite,
  plainjob: async () => (await import("./plainjob.ts")).plainjob,
  "tickflow-pg": async () => (await import("./tickflow.ts")).tickflowPostgres,
  "graphile-worker": async () => (await import("./graphile-worker.ts")).graphileWorker,
  "pg-boss": async () => (await import("./pg-boss.ts")).pgBoss,
  bullmq: async () => (await import("./bullmq.ts")).bullmq,
};

export const BACKENDS: Record<string, "sqlite" | "postgres" | "redis"> = {
  "tickflow-sqlite": "sqlite",
  plainjob: "sqlite",
  "tickflow-pg": "postgres",
  "graphile-worker": "postgres",
  "pg-boss": "postgres",
  bullmq: "redis",
};

/** The tickflow adapter a library's figures are divided by (BullMQ: PostgreSQL, the multi-process store). */
export function baselineOf(id: string): string {
  return BACKENDS[id] === "sqlite" || id === "floor-sqlite" ? "tickflow-sqlite" : "tickflow-pg";
}
