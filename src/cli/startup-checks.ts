import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { parseDatabaseUrl } from "../config/database-url.ts";
import type { ResolvedConfig } from "../config/schema.ts";
import { CliError } from "./common.ts";

/**
 * Binds the HTTP address once and lets it go, before anything opens the database: a port in use
 * or a host that is not this machine's is one line naming the setting and the fix, and leaves no
 * database file behind. (The real listen comes later; a port taken in between still gets the same
 * message from `listenError`.)
 */
export async function checkHttpAddress(config: ResolvedConfig): Promise<void> {
  const { host, port } = config.http;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => reject(listenError(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The one line for an HTTP listen failure; other errors pass through unchanged. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return new CliError(
      `port ${port} on ${host} is already in use (TICKFLOW_PORT or http.port): stop the process holding it, or choose another port`,
      "PORT_IN_USE",
    );
  }
  if (code === "EACCES") {
    return new CliError(
      `port ${port} needs privileges this process lacks (TICKFLOW_PORT or http.port): use a port above 1023`,
      "PORT_FORBIDDEN",
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EADDRNOTAVAIL" || code === "EAI_NONAME") {
    return new CliError(
      `TICKFLOW_HOST (http.host) "${host}" is not an address of this machine (${code}): use 127.0.0.1, 0.0.0.0, :: or one of its interface addresses`,
      "BAD_HOST",
    );
  }
  return error;
}

/**
 * The SQLite file a failed startup must not leave behind: the one the config names, when it does
 * not exist yet. Call `remove()` after the store is closed.
 */
export function newSqliteFile(config: ResolvedConfig): { remove(): void } {
  const location = parseDatabaseUrl(config.database);
  const file = location.kind === "sqlite" && location.file !== ":memory:" ? location.file : null;
  const created = file !== null && !existsSync(file);
  return {
    remove() {
      if (!created || file === null) return;
      for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}
