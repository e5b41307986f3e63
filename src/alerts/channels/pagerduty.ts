import { resolveSecret, type SecretOption } from "../secrets.ts";
import { type AlertNotification, type Channel, expectOk, notificationTitle } from "./channel.ts";
import { parseHttpUrl, safeTarget } from "./urls.ts";

export interface PagerDutyChannelOptions {
  kind: "pagerduty";
  /** The Events v2 integration (routing) key. */
  routingKey: SecretOption;
  /** Default https://events.pagerduty.com/v2/enqueue. */
  url?: string;
  /** critical (default), error, warning or info. */
  severity?: "critical" | "error" | "warning" | "info";
}

const DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue";

/**
 * A PagerDuty Events v2 event: `trigger` for the open notice and re-notifications, `resolve` for
 * the recovery notice, all with the incident's dedup key so PagerDuty keeps one alert.
 */
export function pagerDutyPayload(
  n: AlertNotification,
  routingKey: string,
  severity: string,
): Record<string, unknown> {
  const dedupKey = `tickflow-${n.incident.id}`;
  if (n.event === "resolve") return { routing_key: routingKey, event_action: "resolve", dedup_key: dedupKey };
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: dedupKey,
    payload: {
      summary: `${notificationTitle(n)}: ${n.incident.summary}`.slice(0, 1024),
      source: n.incident.subject,
      severity,
      timestamp: new Date(n.at).toISOString(),
      component: n.incident.subject,
      group: n.incident.rule,
      custom_details: { incident: n.incident.id, rule: n.incident.rule, seq: n.seq },
    },
  };
}

export function pagerDutyChannel(
  name: string,
  options: PagerDutyChannelOptions,
  env: Record<string, string | undefined>,
): Channel {
  const what = `channel "${name}"`;
  const routingKey = resolveSecret(options.routingKey, env, `${what}: routingKey`);
  const url = parseHttpUrl(options.url ?? DEFAULT_URL, `${what}: url`);
  const severity = options.severity ?? "critical";
  return {
    name,
    kind: "pagerduty",
    target: `pagerduty ${safeTarget(url)}`,
    async send(n, signal) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(pagerDutyPayload(n, routingKey, severity)),
        signal,
      });
      return expectOk(response, `pagerduty ${safeTarget(url)}`);
    },
  };
}
