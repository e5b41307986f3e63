import { resolveSecret, type SecretOption } from "../secrets.ts";
import { type AlertNotification, type Channel, expectOk, notificationTitle } from "./channel.ts";
import { parseHttpUrl, safeTarget } from "./urls.ts";

export interface SlackChannelOptions {
  kind: "slack";
  /** The incoming-webhook URL (a secret: its path is the credential), or `{ env: "NAME" }`. */
  url: SecretOption;
}

/** A Slack-compatible incoming-webhook body: `text` (the fallback) and Block Kit `blocks`. */
export function slackPayload(n: AlertNotification): Record<string, unknown> {
  const title = notificationTitle(n);
  const fields = [
    `*Rule:* ${n.incident.rule}`,
    `*Subject:* ${n.incident.subject}`,
    `*Opened:* ${new Date(n.incident.openedAt).toISOString()}`,
  ];
  if (n.incident.resolvedAt !== null)
    fields.push(`*Resolved:* ${new Date(n.incident.resolvedAt).toISOString()}`);
  return {
    text: `${title}: ${n.incident.summary}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: n.incident.summary } },
      { type: "section", fields: fields.map((text) => ({ type: "mrkdwn", text })) },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `tickflow incident ${n.incident.id} · ${n.id}` }],
      },
    ],
  };
}

export function slackChannel(
  name: string,
  options: SlackChannelOptions,
  env: Record<string, string | undefined>,
): Channel {
  const what = `channel "${name}": url`;
  const url = parseHttpUrl(resolveSecret(options.url, env, what), what);
  return {
    name,
    kind: "slack",
    target: `slack ${safeTarget(url)}`,
    async send(n, signal) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(slackPayload(n)),
        signal,
      });
      return expectOk(response, `slack ${safeTarget(url)}`);
    },
  };
}
