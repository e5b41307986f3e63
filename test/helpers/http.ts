import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { type HttpConfig, httpSchema } from "../../src/config/http-schema.ts";
import { createHttpServer, type HttpTimeouts } from "../../src/http/server.ts";
import { registerHeartbeat } from "../../src/jobs/heartbeat.ts";
import { createLogger } from "../../src/logger.ts";
import type { JobDefinition } from "../../src/runtime/registry.ts";
import { type StartOptions, Tickflow, type TickflowOptions } from "../../src/tickflow.ts";
import { checkApiAnswer } from "./openapi-check.ts";
import { createTestSqliteStore } from "./sqlite.ts";

export const TOKEN = "test-token-0123456789";
export const OTHER_TOKEN = "rotated-token-9876543210";

/** A started Tickflow with its HTTP server on [::]:0 (dual stack), and every log line captured. */
export async function startHttp(
  http: HttpConfig = {},
  options: {
    jobs?: JobDefinition<never, never>[];
    heartbeat?: boolean;
    tickflow?: Partial<TickflowOptions>;
    start?: StartOptions;
    timeouts?: Partial<HttpTimeouts>;
  } = {},
) {
  const harness = await createTestSqliteStore();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: "debug", format: "json", destination: sink });
  const tickflow = new Tickflow(
    harness.store,
    { jobs: options.jobs ?? [], logger, pollIntervalMs: 50, ...options.tickflow },
    false,
  );
  const heartbeat = registerHeartbeat(tickflow, { enabled: options.heartbeat ?? false });
  await tickflow.start(options.start);
  const config = httpSchema.parse({ tokens: [TOKEN], ...http });
  const app = await createHttpServer({ tickflow, heartbeat, config, logger, timeouts: options.timeouts });
  await app.listen({ host: "::", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    tickflow,
    heartbeat,
    app,
    port,
    logs: lines,
    async close() {
      await app.close();
      await tickflow.stop(0);
      await harness.cleanup();
    },
  };
}

/** An answer of a documented /api/v1 route (openapi.json itself is checked in openapi.test.ts). */
function isApiJson(path: string, reply: Reply): boolean {
  return (
    path.startsWith("/api/v1/") &&
    !path.startsWith("/api/v1/openapi.json") &&
    String(reply.headers["content-type"]).startsWith("application/json")
  );
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are asserted field by field
  json(): any;
}

/** A real HTTP request over loopback; `localAddress` binds the client socket (e.g. 127.0.0.2). */
export function call(
  port: number,
  method: string,
  path: string,
  options: {
    token?: string | null;
    headers?: Record<string, string>;
    body?: string;
    host?: string;
    localAddress?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: options.host ?? "127.0.0.1", port, method, path, headers, localAddress: options.localAddress },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          const reply = {
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          };
          if (!isApiJson(path, reply)) return resolve(reply);
          checkApiAnswer(method, path, reply.status, reply.json()).then(() => resolve(reply), reject);
        });
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
