import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A PostgreSQL server of the test's own, in a temp directory on a free port, for tests that stop
 * and restart the server (the shared one serves every other test file at the same time). Built
 * with the machine's PostgreSQL binaries, run as the `postgres` user (initdb refuses root).
 */
export interface PrivateCluster {
  url: string;
  /** `pg_ctl restart -m fast`: every session is terminated, the server is down for a moment. */
  restart(): void;
  stop(): void;
}

const BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"];

/** Why no private cluster can be made here, or undefined when one can. */
export function privateClusterUnavailable(): string | undefined {
  if (!binDir()) return `no PostgreSQL binaries in ${BIN_DIRS.join(", ")}`;
  if (process.getuid?.() !== 0) return "making a private cluster needs root (to run initdb as postgres)";
  if (!existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser")) return "no runuser";
  return undefined;
}

function binDir(): string | undefined {
  return BIN_DIRS.find((dir) => existsSync(join(dir, "initdb")));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const unavailable = privateClusterUnavailable();
  if (unavailable) throw new Error(unavailable);
  const bin = binDir() as string;
  const dir = mkdtempSync(join(tmpdir(), "tickflow-pg-"));
  const data = join(dir, "data");
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"]).toString().trim());
  chownSync(dir, id("-u"), id("-g"));
  const asPostgres = (args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "pipe", timeout: 60_000 });
  asPostgres([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (...args: string[]) =>
    asPostgres([join(bin, "pg_ctl"), "-D", data, "-o", options, "-l", join(dir, "log"), "-w", ...args]);
  pgCtl("start");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => pgCtl("restart", "-m", "fast"),
    stop() {
      try {
        pgCtl("stop", "-m", "immediate");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
