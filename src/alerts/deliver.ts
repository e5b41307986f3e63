import type { AlertStore, DeliveryRow, IncidentRow } from "../store/ports/alerts.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";
import type { AlertNotification, Channel } from "./channels/channel.ts";

/** One attempt may take this long before it is aborted and retried. */
export const SEND_TIMEOUT_MS = 15_000;

/** The notification a delivery stands for, as of its event. */
export function notificationOf(d: DeliveryRow, incident: IncidentRow): AlertNotification {
  const resolved = d.event === "resolve";
  return {
    id: d.dedupeKey,
    event: d.event,
    seq: d.seq,
    incident: {
      id: incident.id,
      rule: incident.rule,
      subject: incident.subject,
      status: resolved ? "resolved" : "open",
      openedAt: incident.openedAt,
      resolvedAt: resolved ? incident.resolvedAt : null,
      summary: incident.summary,
    },
    at: d.createdAt,
  };
}

export interface DeliveryContext {
  attempt: number;
  maxAttempts: number;
  signal: AbortSignal;
}

/**
 * One attempt of one delivery (the `tickflow.alerts.deliver` job): a delivery already sent,
 * silenced or given up is left alone, so a duplicate job sends nothing. Every attempt is
 * recorded; a failure is thrown so the job retries with backoff (the last one marks it failed).
 */
export async function deliverOnce(
  deps: { queries: StoreQueries; alerts: AlertStore; channels: ReadonlyMap<string, Channel>; now(): number },
  deliveryId: string,
  ctx: DeliveryContext,
): Promise<void> {
  const d = await deps.queries.getDelivery(deliveryId);
  if (d?.status !== "pending") return;
  const started = deps.now();
  const record = (ok: boolean, detail: string, final: boolean) =>
    deps.alerts.recordDeliveryAttempt({
      deliveryId,
      attempt: d.attempts + 1,
      at: deps.now(),
      durationMs: Math.max(0, deps.now() - started),
      ok,
      detail,
      final,
    });
  const incident = await deps.queries.getIncident(d.incidentId);
  const channel = deps.channels.get(d.channel);
  if (!incident || !channel) {
    // Nothing to retry: the channel was removed from the configuration (or the incident pruned).
    await record(false, incident ? `no channel "${d.channel}" is configured` : "the incident is gone", true);
    return;
  }
  try {
    const receipt = await channel.send(
      notificationOf(d, incident),
      AbortSignal.any([ctx.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]),
    );
    await record(true, receipt.detail, true);
  } catch (error) {
    await record(false, (error as Error).message || String(error), ctx.attempt >= ctx.maxAttempts);
    throw error;
  }
}
