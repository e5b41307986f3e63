import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One request a receiver accepted. */
export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  json: Record<string, unknown>;
}

/**
 * A local HTTP receiver on 127.0.0.1: records every POST it accepts; `accept(req, body)` may
 * refuse one (returning an HTTP status). `stop()` closes the port (connection refused, like a
 * receiver that is down) and `start()` listens on the same port again.
 */
export async function startReceiver(accept: (received: Received) => number = () => 200) {
  const received: Received[] = [];
  const refused: { status: number; body: string }[] = [];
  let server: Server | null = null;
  let port = 0;
  const listen = async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        body += chunk;
      });
      req.on("end", () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body);
        } catch {}
        const item = { headers: req.headers, body, json };
        const status = accept(item);
        if (status >= 200 && status < 300) received.push(item);
        else refused.push({ status, body });
        res.writeHead(status, { "content-type": "application/json" }).end('{"status":"ok"}');
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    port = (server!.address() as AddressInfo).port;
  };
  await listen();
  return {
    received,
    refused,
    get url() {
      return `http://127.0.0.1:${port}/hooks/secret-path-123`;
    },
    async stop() {
      const s = server;
      server = null;
      if (s) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
    start: listen,
  };
}

/**
 * Verifies a Standard Webhooks signature as a receiver would (written here from the scheme, not
 * with tickflow's signer): HMAC-SHA256 over "id.timestamp.body" with the base64 key after
 * `whsec_`, compared with every `v1,` signature in the header.
 */
export function verifyStandardWebhook(
  secret: string,
  r: Received,
  toleranceS = 300,
  nowMs = Date.now(),
): boolean {
  const id = String(r.headers["webhook-id"] ?? "");
  const timestamp = String(r.headers["webhook-timestamp"] ?? "");
  const header = String(r.headers["webhook-signature"] ?? "");
  if (!id || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceS) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${r.body}`).digest();
  return header.split(" ").some((part) => {
    const [version, sig] = part.split(",");
    if (version !== "v1" || !sig) return false;
    const given = Buffer.from(sig, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A real SMTP server in the test process (no TLS, any login accepted and recorded). */
export async function startSmtpReceiver() {
  const messages: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "alerts" && auth.password === "s3cret pass")
        callback(null, { user: auth.username });
      else callback(new Error("invalid login"));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        raw += chunk;
      });
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    messages,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
