import { type Hysteresis, INITIAL_HYSTERESIS, step } from "./hysteresis.ts";

/**
 * The incident state machine of one (alert rule, subject) pair (spec §12), as a pure function:
 * the caller passes each evaluation (`bad`: the rule's condition holds for the subject) and `now`.
 *
 * Flapping is damped by the monitors' hysteresis (core/hysteresis.ts) read as "healthy/unhealthy":
 * an incident opens after `openAfter` consecutive bad evaluations and resolves after
 * `resolveAfter` consecutive good ones, so with thresholds ≥ 2 a single blip neither opens nor
 * resolves one. While open it re-notifies every `renotifyMs` (null: never).
 *
 * Events are numbered per incident (`seq`: 1 for `open`, then each re-notification, then
 * `resolve`), so (incident, seq, channel) names exactly one notification: the delivery's
 * dedupe key, whatever process evaluated it.
 */
export const INCIDENT_EVENTS = ["open", "renotify", "resolve"] as const;
export type IncidentEvent = (typeof INCIDENT_EVENTS)[number];

export interface IncidentPolicy {
  /** Consecutive bad evaluations that open an incident (≥ 1). */
  openAfter: number;
  /** Consecutive good evaluations that resolve it (≥ 1). */
  resolveAfter: number;
  /** Re-notify this long after the last notification while open; null: never. */
  renotifyMs: number | null;
}

export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = {
  openAfter: 1,
  resolveAfter: 2,
  renotifyMs: 3_600_000,
};

/** The open incident of a track, if any. */
export interface OpenIncident {
  openedAt: number;
  lastNotifiedAt: number;
  /** The last event's number (1 = the open notice). */
  seq: number;
}

/** What is kept per (rule, subject) between evaluations. `v` versions the persisted shape. */
export interface IncidentTrack {
  v: 1;
  hysteresis: Hysteresis;
  open: OpenIncident | null;
}

export const INITIAL_TRACK: IncidentTrack = { v: 1, hysteresis: INITIAL_HYSTERESIS, open: null };

export interface IncidentStep {
  track: IncidentTrack;
  /** Set when this evaluation produced a notification-worthy event. */
  event: { kind: IncidentEvent; seq: number; openedAt: number } | null;
}

/** Feeds one evaluation of the rule for the subject into the machine. */
export function observe(
  previous: IncidentTrack,
  bad: boolean,
  now: number,
  policy: IncidentPolicy,
): IncidentStep {
  // ONLINE = healthy, OFFLINE = the condition holds; UNKNOWN is the fresh track (no incident).
  const next = step(previous.hysteresis, !bad, {
    riseAfter: policy.resolveAfter,
    fallAfter: policy.openAfter,
  });
  const hysteresis: Hysteresis = { state: next.state, successes: next.successes, failures: next.failures };
  const open = previous.open;
  if (!open) {
    if (next.state === "OFFLINE") {
      const opened: OpenIncident = { openedAt: now, lastNotifiedAt: now, seq: 1 };
      return { track: { v: 1, hysteresis, open: opened }, event: { kind: "open", seq: 1, openedAt: now } };
    }
    return { track: { v: 1, hysteresis, open: null }, event: null };
  }
  if (next.state === "ONLINE") {
    const seq = open.seq + 1;
    return {
      track: { v: 1, hysteresis, open: null },
      event: { kind: "resolve", seq, openedAt: open.openedAt },
    };
  }
  if (policy.renotifyMs !== null && now - open.lastNotifiedAt >= policy.renotifyMs) {
    const seq = open.seq + 1;
    return {
      track: { v: 1, hysteresis, open: { openedAt: open.openedAt, lastNotifiedAt: now, seq } },
      event: { kind: "renotify", seq, openedAt: open.openedAt },
    };
  }
  return { track: { v: 1, hysteresis, open }, event: null };
}

/** Reads a stored track back; anything unreadable starts fresh (an incident is then reopened). */
export function readTrack(value: unknown): IncidentTrack {
  if (typeof value !== "object" || value === null) return INITIAL_TRACK;
  const t = value as Partial<IncidentTrack>;
  if (t.v !== 1 || typeof t.hysteresis !== "object" || t.hysteresis === null) return INITIAL_TRACK;
  return { v: 1, hysteresis: t.hysteresis, open: t.open ?? null };
}

/** A silence: notifications for a rule, a subject, or both, are held back until `until`. */
export interface Silence {
  id: string;
  /** null: every rule. */
  rule: string | null;
  /** null: every subject. */
  subject: string | null;
  until: number;
  reason: string;
}

/** The silence covering (rule, subject) at `now`, if any (the one lasting longest). */
export function activeSilence(
  silences: readonly Silence[],
  rule: string,
  subject: string,
  now: number,
): Silence | null {
  let found: Silence | null = null;
  for (const s of silences) {
    if (s.until <= now) continue;
    if (s.rule !== null && s.rule !== rule) continue;
    if (s.subject !== null && s.subject !== subject) continue;
    if (!found || s.until > found.until) found = s;
  }
  return found;
}

/** The dedupe key of one notification of one incident event on one channel. */
export function deliveryKey(incidentId: string, seq: number, channel: string): string {
  return `alert:${incidentId}:${seq}:${channel}`;
}
