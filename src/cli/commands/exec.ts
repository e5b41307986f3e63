import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Command } from "commander";
import { PING_BODY_LIMIT_BYTES } from "../../checks/checks.ts";
import type { PingKind } from "../../core/check-state.ts";
import { redactUrl } from "../../core/redact-url.ts";
import { CliError, loadCliConfig, withReader } from "../common.ts";

interface ExecOptions {
  url?: string;
}

/**
 * `tickflow exec <check> -- <command…>`: a crontab line becomes watched by prefixing it. Pings
 * `start`, runs the command with its output passed through, pings its exit code with the tail of
 * its output, and exits with the command's code. Monitoring never stands in the job's way: a ping
 * that fails is reported on stderr and the command runs (and exits) as it would have.
 */
export function registerExec(program: Command): void {
  program
    .command("exec <check>")
    .description("run a command as a check-in: ping start, run it, ping its exit code with its output tail")
    .argument("<command...>", "the command and its arguments, after --")
    .option(
      "--url <ping-url>",
      "ping over HTTP (https://host/ping/<token>; env TICKFLOW_PING_URL) instead of through the configured database",
    )
    .addHelpText(
      "after",
      `
Examples (crontab):
  0 3 * * *  tickflow exec nightly-backup -- /usr/local/bin/backup.sh --full
  */5 * * * * TICKFLOW_PING_URL=https://ops.example.com/ping/<token> tickflow exec sync -- ./sync.sh`,
    )
    .action(async (check: string, argv: string[], options: ExecOptions, command: Command) => {
      const url = options.url ?? process.env.TICKFLOW_PING_URL;
      const ping = url ? httpPinger(url) : await databasePinger(command, check);
      await ping("start", null, "").catch((error) => warn(error));
      const { code, tail } = await run(argv);
      await ping("exit", code, tail).catch((error) => warn(error));
      process.exit(code);
    });
}

type Pinger = (kind: PingKind, exitCode: number | null, body: string) => Promise<void>;

function warn(error: unknown): void {
  process.stderr.write(
    `tickflow exec: the ping failed (the command's result is not recorded): ${(error as Error).message}\n`,
  );
}

function httpPinger(base: string): Pinger {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new CliError(
      `--url: "${redactUrl(base)}" is not a URL (expected https://host/ping/<token>)`,
      "INVALID_OPTION",
    );
  }
  const root = url.href.replace(/\/+$/, "");
  return async (kind, exitCode, body) => {
    const target = kind === "start" ? `${root}/start` : `${root}/${exitCode}`;
    const response = await fetch(target, { method: "POST", body, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${redactUrl(target)} answered HTTP ${response.status}`);
  };
}

async function databasePinger(command: Command, check: string): Promise<Pinger> {
  const config = await loadCliConfig(command);
  // Checked before the command runs: a typo in a crontab line should fail loudly, once.
  const exists = await withReader(config, async (t) => (await t.queries.getCheck(check)) !== null);
  if (!exists) {
    throw new CliError(
      `no check "${check}" is stored: define it in the config's checks and start tickflow once`,
      "UNKNOWN_CHECK",
    );
  }
  return (kind, exitCode, body) =>
    withReader(config, async (t) => {
      await t.checks.pingByKey(check, kind, { exitCode, body });
    });
}

/** Runs the command, passing its output through and keeping its last PING_BODY_LIMIT_BYTES. */
function run(argv: string[]): Promise<{ code: number; tail: string }> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    let tail = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > PING_BODY_LIMIT_BYTES) tail = tail.subarray(tail.length - PING_BODY_LIMIT_BYTES);
    };
    const child = spawn(file!, args, { stdio: ["inherit", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      keep(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      keep(chunk);
    });
    child.on("error", (error) => {
      // Not found, not executable: the shell's code for it, with the reason as the log.
      const message = `tickflow exec: cannot run ${file}: ${error.message}\n`;
      process.stderr.write(message);
      resolve({ code: 127, tail: message });
    });
    child.on("close", (code, signal) => {
      // Killed by a signal: 128 + its number, as a shell reports it.
      resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), tail: tail.toString("utf8") });
    });
  });
}
