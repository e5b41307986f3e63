import type { IncidentEvent } from "../../core/incidents.ts";

/**
 * The store side of alerts (spec §12): the incident track of each (rule, subject), incidents
 * (at most one open per rule and subject, a partial unique index), one delivery per notification
 * and channel (unique dedupe key), every delivery attempt, and silences. `store.alerts` on every
 * adapter; its reads are on `queries` (AlertQueries below).
 */
export interface AlertStore {
  /**
   * Saves one evaluation, in one transaction: the tracks (upserted), then each incident event —
   * `open` inserts the incident (or finds the one already open for its rule and subject),
   * `renotify` advances its event number, `resolve` closes it — and one delivery per channel of
   * each event, keyed `deliveryKey(incident, seq, channel)`; a delivery whose key exists is not
   * written again. Returns the deliveries this call created.
   */
  recordEvaluation(evaluation: AlertEvaluation): Promise<DeliveryRow[]>;
  /**
   * Records one attempt of a delivery and moves the delivery to `sent` (ok), or keeps it
   * `pending` with the error (or `failed` when `final`). Ignored for an unknown delivery.
   */
  recordDeliveryAttempt(attempt: DeliveryAttemptInput): Promise<void>;
  addSilence(silence: SilenceRow): Promise<void>;
  /** Ends a silence now (its row stays, with `until` = `now`); false when there is no such silence. */
  endSilence(id: string, now: number): Promise<boolean>;
}

export interface AlertTrackRow {
  rule: string;
  subject: string;
  /** The core/incidents IncidentTrack, as JSON text. */
  track: string;
  updatedAt: number;
}

export interface IncidentEventInput {
  rule: string;
  subject: string;
  kind: IncidentEvent;
  seq: number;
  openedAt: number;
  at: number;
  summary: string;
  channels: readonly string[];
  /** A silence held this event back: its deliveries are stored as `silenced` and never sent. */
  silenced: boolean;
}

export interface AlertEvaluation {
  tracks: readonly AlertTrackRow[];
  events: readonly IncidentEventInput[];
}

export type IncidentStatus = "open" | "resolved";

export interface IncidentRow {
  id: string;
  rule: string;
  subject: string;
  status: IncidentStatus;
  openedAt: number;
  resolvedAt: number | null;
  /** The last event's number. */
  seq: number;
  lastNotifiedAt: number;
  summary: string;
}

export const DELIVERY_STATUSES = ["pending", "sent", "failed", "silenced"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryRow {
  id: string;
  dedupeKey: string;
  incidentId: string;
  seq: number;
  event: IncidentEvent;
  channel: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

export interface DeliveryAttemptInput {
  deliveryId: string;
  attempt: number;
  at: number;
  durationMs: number;
  ok: boolean;
  /** The receiver's answer, or the error. */
  detail: string;
  /** No retry follows: a failed attempt makes the delivery `failed`. */
  final: boolean;
}

export interface DeliveryAttemptRow extends Omit<DeliveryAttemptInput, "final"> {
  id: string;
}

export interface SilenceRow {
  id: string;
  rule: string | null;
  subject: string | null;
  until: number;
  reason: string;
  createdAt: number;
}

/** The reads of alerts (part of StoreQueries). Lists are newest first. */
export interface AlertQueries {
  listAlertTracks(): Promise<AlertTrackRow[]>;
  getIncident(id: string): Promise<IncidentRow | null>;
  listIncidents(filter?: { status?: IncidentStatus; limit?: number }): Promise<IncidentRow[]>;
  getDelivery(id: string): Promise<DeliveryRow | null>;
  listDeliveries(filter?: {
    incidentId?: string;
    status?: DeliveryStatus;
    limit?: number;
  }): Promise<DeliveryRow[]>;
  listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]>;
  /** Silences with `until` after `activeAt` (every silence without it). */
  listSilences(filter?: { activeAt?: number }): Promise<SilenceRow[]>;
}
