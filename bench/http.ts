// POST /heartbeat latency under load: autocannon on loopback, with a bearer token, at a fixed
// 1 000 req/s (the target: p99 ≤ 5 ms). Run alone: node --import tsx bench/http.ts

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { httpSchema } from "../src/config/http-schema.ts";
import { defineFlow } from "../src/flows/define-flow.ts";
import { createHttpServer } from "../src/http/server.ts";
import { registerHeartbeat } from "../src/jobs/heartbeat.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../src/tickflow.ts";

export async function benchHeartbeatEndpoint(
  rate = 1_000,
  seconds = 10,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-http-"));
  const store = new SqliteStore(join(dir, "http.db"));
  // Ten hourly flows: each call evaluates all of them (most answer not_due), the realistic case.
  const flows = Array.from({ length: 10 }, (_, i) =>
    defineFlow({ name: `flow-${i}`, schedule: "0 * * * *", run: async () => {} }),
  );
  const tickflow = new Tickflow(store, { flows }, true);
  const heartbeat = registerHeartbeat(tickflow, { enabled: false });
  await tickflow.start();
  const token = "bench-token-0123456789abcdef";
  const config = httpSchema.parse({ tokens: [token], rateLimit: { max: 1_000_000, window: "1m" } });
  const app = await createHttpServer({ tickflow, heartbeat, config, logger: tickflow.logger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    // autocannon runs in its own process: load generation in the server's event loop would
    // inflate the latency it measures. One connection: with 10, autocannon's per-connection rate
    // split sends bursts, and a bare Fastify hello-world already shows p99 14 ms here (1 conn: 2 ms).
    const bin = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      "--json",
      "-m",
      "POST",
      "-H",
      `authorization=Bearer ${token}`,
      "-c",
      "1",
      "-R",
      String(rate),
      "-d",
      String(seconds),
      `http://127.0.0.1:${port}/heartbeat`,
    ]);
    const result = JSON.parse(stdout);
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.non2xx,
    };
  } finally {
    await app.close();
    await tickflow.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchHeartbeatEndpoint();
  console.log(
    `POST /heartbeat at 1000 req/s: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}`,
  );
}
