import type { IncidentEvent } from "../../core/incidents.ts";

/**
 * One notification of one incident event, as every channel receives it. `id` is the
 * notification's dedupe key (the same on every retry and in every process), so receivers can
 * drop a duplicate: it is the webhook's `webhook-id`.
 */
export interface AlertNotification {
  id: string;
  event: IncidentEvent;
  /** 1 for the open notice, then each re-notification, then the recovery notice. */
  seq: number;
  incident: {
    id: string;
    rule: string;
    subject: string;
    /** "open" or "resolved" (as of this event). */
    status: "open" | "resolved";
    openedAt: number;
    resolvedAt: number | null;
    summary: string;
  };
  /** When the event happened (epoch ms). */
  at: number;
}

/** What a channel answers for a notification it delivered (kept with the attempt). */
export interface DeliveryReceipt {
  /** e.g. "HTTP 200" or "250 Accepted". */
  detail: string;
}

/**
 * The one shape of a notification channel: a name, a kind, a description safe to show (no
 * secrets), and `send`, which resolves once the receiver accepted the notification and throws
 * (with a reason) otherwise — the delivery job then retries with backoff.
 */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  /** For people, logs, the API and the dashboard: secrets redacted. */
  readonly target: string;
  send(notification: AlertNotification, signal: AbortSignal): Promise<DeliveryReceipt>;
}

export const CHANNEL_KINDS = ["webhook", "slack", "email", "pagerduty"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A one-line title for a notification, shared by the text channels. */
export function notificationTitle(n: AlertNotification): string {
  const what = `${n.incident.rule} on ${n.incident.subject}`;
  if (n.event === "resolve") return `[RESOLVED] ${what}`;
  if (n.event === "renotify") return `[STILL FIRING] ${what}`;
  return `[FIRING] ${what}`;
}

/** The notification's text body: title, summary and times. */
export function notificationText(n: AlertNotification): string {
  const lines = [
    notificationTitle(n),
    n.incident.summary,
    `opened ${new Date(n.incident.openedAt).toISOString()}`,
  ];
  if (n.incident.resolvedAt !== null) lines.push(`resolved ${new Date(n.incident.resolvedAt).toISOString()}`);
  lines.push(`incident ${n.incident.id}`);
  return lines.join("\n");
}

/** Turns a non-2xx answer into a thrown error naming the status (and a little of the body). */
export async function expectOk(response: Response, what: string): Promise<DeliveryReceipt> {
  const text = (await response.text().catch(() => "")).slice(0, 200);
  if (!response.ok) throw new Error(`${what} answered HTTP ${response.status}${text ? `: ${text}` : ""}`);
  return { detail: `HTTP ${response.status}` };
}
