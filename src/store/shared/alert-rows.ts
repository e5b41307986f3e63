import type { PingKind } from "../../core/check-state.ts";
import type { IncidentEvent } from "../../core/incidents.ts";
import type {
  AlertTrackRow,
  DeliveryAttemptRow,
  DeliveryRow,
  DeliveryStatus,
  IncidentRow,
  IncidentStatus,
  SilenceRow,
} from "../ports/alerts.ts";
import type { CheckRow, PingRow } from "../ports/checks.ts";
import type { DbRow } from "./rows.ts";

/** Alert and check-in row mapping shared by both adapters (Number/Boolean: see shared/rows.ts). */
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : Boolean(v));

export const toTrackRow = (r: DbRow): AlertTrackRow => ({
  rule: String(r.rule),
  subject: String(r.subject),
  track: String(r.track),
  updatedAt: Number(r.updated_at),
});

export const toIncidentRow = (r: DbRow): IncidentRow => ({
  id: String(r.id),
  rule: String(r.rule),
  subject: String(r.subject),
  status: r.status as IncidentStatus,
  openedAt: Number(r.opened_at),
  resolvedAt: num(r.resolved_at),
  seq: Number(r.seq),
  lastNotifiedAt: Number(r.last_notified_at),
  summary: String(r.summary),
});

export const toDeliveryRow = (r: DbRow): DeliveryRow => ({
  id: String(r.id),
  dedupeKey: String(r.dedupe_key),
  incidentId: String(r.incident_id),
  seq: Number(r.seq),
  event: r.event as IncidentEvent,
  channel: String(r.channel),
  status: r.status as DeliveryStatus,
  attempts: Number(r.attempts),
  lastError: text(r.last_error),
  createdAt: Number(r.created_at),
  sentAt: num(r.sent_at),
});

export const toDeliveryAttemptRow = (r: DbRow): DeliveryAttemptRow => ({
  id: String(r.id),
  deliveryId: String(r.delivery_id),
  attempt: Number(r.attempt),
  at: Number(r.at),
  durationMs: Number(r.duration_ms),
  ok: Boolean(r.ok),
  detail: String(r.detail),
});

export const toSilenceRow = (r: DbRow): SilenceRow => ({
  id: String(r.id),
  rule: text(r.rule),
  subject: text(r.subject),
  until: Number(r.until),
  reason: String(r.reason),
  createdAt: Number(r.created_at),
});

export const toCheckRow = (r: DbRow): CheckRow => ({
  key: String(r.key),
  trigger: String(r.trigger),
  graceMs: Number(r.grace_ms),
  tokenHash: String(r.token_hash),
  generatedToken: text(r.generated_token),
  lastEndAt: num(r.last_end_at),
  lastEndOk: bool(r.last_end_ok),
  lastStartAt: num(r.last_start_at),
  lastDurationMs: num(r.last_duration_ms),
  pings: Number(r.pings),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toPingRow = (r: DbRow): PingRow => ({
  id: String(r.id),
  checkKey: String(r.check_key),
  at: Number(r.at),
  kind: r.kind as PingKind,
  exitCode: num(r.exit_code),
  body: String(r.body),
  durationMs: num(r.duration_ms),
  remote: text(r.remote),
});

/** The delivery rows an event creates: one per channel, `silenced` when a silence held it back. */
export function deliveryStatusFor(silenced: boolean): DeliveryStatus {
  return silenced ? "silenced" : "pending";
}

/** How a ping moves a check's last pings: [last_end_at, last_end_ok, last_start_at] changes. */
export function pingEffect(kind: PingKind, exitCode: number | null): { ends: boolean; ok: boolean } {
  if (kind === "start") return { ends: false, ok: false };
  if (kind === "success") return { ends: true, ok: true };
  if (kind === "exit") return { ends: true, ok: exitCode === 0 };
  return { ends: true, ok: false };
}
