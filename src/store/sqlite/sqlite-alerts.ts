import { deliveryKey } from "../../core/incidents.ts";
import type {
  AlertEvaluation,
  AlertStore,
  DeliveryAttemptInput,
  DeliveryRow,
  IncidentEventInput,
  SilenceRow,
} from "../ports/alerts.ts";
import { deliveryStatusFor, toDeliveryRow } from "../shared/alert-rows.ts";
import { storableText } from "../shared/storable-text.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";

// ── statements (tables from migration 9) ────────────────────────────────────

const UPSERT_TRACK = `INSERT INTO alert_tracks (rule, subject, track, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (rule, subject) DO UPDATE SET track = excluded.track, updated_at = excluded.updated_at`;
const OPEN_INCIDENT = `INSERT INTO incidents (rule, subject, status, opened_at, seq, last_notified_at, summary)
       VALUES (?, ?, 'open', ?, ?, ?, ?)
       ON CONFLICT (rule, subject) WHERE status = 'open' DO NOTHING`;
const OPEN_INCIDENT_ID = "SELECT id FROM incidents WHERE rule = ? AND subject = ? AND status = 'open'";
const RENOTIFY_INCIDENT = `UPDATE incidents SET seq = max(seq, ?), last_notified_at = ?, summary = ?
       WHERE rule = ? AND subject = ? AND status = 'open' RETURNING id`;
const RESOLVE_INCIDENT = `UPDATE incidents SET status = 'resolved', resolved_at = ?, seq = max(seq, ?)
       WHERE rule = ? AND subject = ? AND status = 'open' RETURNING id`;
const INSERT_DELIVERY = `INSERT INTO alert_deliveries (dedupe_key, incident_id, seq, event, channel, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`;
const DELIVERY_ATTEMPTS = "SELECT attempts, status FROM alert_deliveries WHERE id = ?";
const INSERT_ATTEMPT = `INSERT INTO alert_delivery_attempts (delivery_id, attempt, at, duration_ms, ok, detail)
       VALUES (?, ?, ?, ?, ?, ?)`;
const UPDATE_DELIVERY = `UPDATE alert_deliveries SET attempts = attempts + 1, status = ?, last_error = ?,
         sent_at = coalesce(sent_at, ?) WHERE id = ?`;
const INSERT_SILENCE = `INSERT INTO alert_silences (id, rule, subject, until, reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`;
const END_SILENCE = "UPDATE alert_silences SET until = min(until, ?) WHERE id = ?";

/** `store.alerts` on SQLite: tracks, incidents, deliveries and their attempts, silences (migration 9). */
export class SqliteAlerts implements AlertStore {
  constructor(private readonly deps: SqliteDeps) {}

  async recordEvaluation(evaluation: AlertEvaluation): Promise<DeliveryRow[]> {
    const { stmt } = this.deps;
    return this.deps.write(() => {
      for (const t of evaluation.tracks) stmt(UPSERT_TRACK).run(t.rule, t.subject, t.track, t.updatedAt);
      const created: DeliveryRow[] = [];
      for (const event of evaluation.events) {
        const incidentId = this.applyEvent(event);
        if (incidentId === null) continue;
        for (const channel of event.channels) {
          const row = stmt(INSERT_DELIVERY).get(
            deliveryKey(incidentId, event.seq, channel),
            incidentId,
            event.seq,
            event.kind,
            channel,
            deliveryStatusFor(event.silenced),
            event.at,
          ) as Row | undefined;
          if (row) created.push(toDeliveryRow(row));
        }
      }
      return created;
    });
  }

  /** Inside the write: the incident the event belongs to (null: a renotify/resolve with none open). */
  private applyEvent(e: IncidentEventInput): string | null {
    const { stmt } = this.deps;
    if (e.kind === "open") {
      stmt(OPEN_INCIDENT).run(e.rule, e.subject, e.openedAt, e.seq, e.at, storableText(e.summary));
      const row = stmt(OPEN_INCIDENT_ID).get(e.rule, e.subject) as Row | undefined;
      return row ? String(row.id) : null;
    }
    const row =
      e.kind === "renotify"
        ? (stmt(RENOTIFY_INCIDENT).get(e.seq, e.at, storableText(e.summary), e.rule, e.subject) as
            | Row
            | undefined)
        : (stmt(RESOLVE_INCIDENT).get(e.at, e.seq, e.rule, e.subject) as Row | undefined);
    return row ? String(row.id) : null;
  }

  async recordDeliveryAttempt(a: DeliveryAttemptInput): Promise<void> {
    const { stmt } = this.deps;
    await this.deps.write(() => {
      const current = stmt(DELIVERY_ATTEMPTS).get(a.deliveryId) as Row | undefined;
      if (!current) return;
      stmt(INSERT_ATTEMPT).run(
        a.deliveryId,
        a.attempt,
        a.at,
        a.durationMs,
        a.ok ? 1 : 0,
        storableText(a.detail, 4096),
      );
      const status = a.ok ? "sent" : a.final ? "failed" : "pending";
      stmt(UPDATE_DELIVERY).run(
        status,
        a.ok ? null : storableText(a.detail, 4096),
        a.ok ? a.at : null,
        a.deliveryId,
      );
    });
  }

  async addSilence(s: SilenceRow): Promise<void> {
    await this.deps.write(() =>
      this.deps
        .stmt(INSERT_SILENCE)
        .run(s.id, s.rule, s.subject, s.until, storableText(s.reason), s.createdAt),
    );
  }

  async endSilence(id: string, now: number): Promise<boolean> {
    return this.deps.write(() => this.deps.stmt(END_SILENCE).run(now, id).changes > 0);
  }
}
