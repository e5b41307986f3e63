import { type ChildProcess, spawn } from "node:child_process";

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Starts `tickflow <args>` (the real bin) as a child process. */
export function spawnTickflow(args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["bin/tickflow.js", ...args], {
    // Port 0: every test process gets its own free port, so several can run side by side.
    env: { ...process.env, LOG_FORMAT: "json", TICKFLOW_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return { child, output: () => output, exited };
}
