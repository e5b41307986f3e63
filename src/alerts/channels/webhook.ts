import { createHmac } from "node:crypto";
import { InvalidOptionError } from "../../errors.ts";
import { resolveSecret, type SecretOption } from "../secrets.ts";
import { type AlertNotification, type Channel, expectOk } from "./channel.ts";
import { parseHttpUrl, safeTarget } from "./urls.ts";

export interface WebhookChannelOptions {
  kind: "webhook";
  url: string;
  /** Standard Webhooks signing secret, `whsec_<base64>`; without it requests are unsigned. */
  secret?: SecretOption;
  headers?: Record<string, string>;
}

const EVENT_TYPES = {
  open: "incident.opened",
  renotify: "incident.renotified",
  resolve: "incident.resolved",
};

/**
 * The webhook's JSON body (docs/alerts.md), in the Standard Webhooks envelope:
 * `{ type, timestamp, data }`.
 */
export function webhookPayload(n: AlertNotification): Record<string, unknown> {
  return {
    type: EVENT_TYPES[n.event],
    timestamp: new Date(n.at).toISOString(),
    data: {
      notification: n.id,
      event: n.event,
      seq: n.seq,
      incident: {
        ...n.incident,
        openedAt: new Date(n.incident.openedAt).toISOString(),
        resolvedAt: n.incident.resolvedAt === null ? null : new Date(n.incident.resolvedAt).toISOString(),
      },
    },
  };
}

/** The secret's key bytes: the base64 after `whsec_`. */
export function signingKey(secret: string, what: string): Buffer {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  const key = match ? Buffer.from(match[1]!, "base64") : Buffer.alloc(0);
  if (key.length < 16) {
    throw new InvalidOptionError(
      `${what}: a signing secret is "whsec_" followed by at least 16 bytes in base64`,
    );
  }
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (Standard Webhooks). */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

export function webhookChannel(
  name: string,
  options: WebhookChannelOptions,
  env: Record<string, string | undefined>,
): Channel {
  const what = `channel "${name}"`;
  const url = parseHttpUrl(options.url, `${what}: url`);
  const key =
    options.secret === undefined
      ? null
      : signingKey(resolveSecret(options.secret, env, `${what}: secret`), what);
  const headers = { ...(options.headers ?? {}) };
  return {
    name,
    kind: "webhook",
    target: `webhook ${safeTarget(url)}${key ? " (signed)" : ""}`,
    async send(n, signal) {
      const body = JSON.stringify(webhookPayload(n));
      // The send time, signed afresh on each attempt: receivers reject a timestamp older than
      // their tolerance (5 min in the reference libraries), and a retry can come much later. The
      // id stays the notification's, so a receiver drops a duplicate.
      const timestamp = Math.floor(Date.now() / 1000);
      const signed: Record<string, string> = {
        "content-type": "application/json",
        "webhook-id": n.id,
        "webhook-timestamp": String(timestamp),
      };
      if (key) signed["webhook-signature"] = signWebhook(key, n.id, timestamp, body);
      const response = await fetch(url, { method: "POST", headers: { ...headers, ...signed }, body, signal });
      return expectOk(response, `webhook ${safeTarget(url)}`);
    },
  };
}
