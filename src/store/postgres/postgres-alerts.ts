import type pg from "pg";
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
import { isBigintId, type PostgresDeps } from "./postgres-deps.ts";

// ── statements (tables from migration 9; unqualified, resolved through search_path) ──────────

const UPSERT_TRACK = `INSERT INTO alert_tracks (rule, subject, track, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (rule, subject) DO UPDATE SET track = excluded.track, updated_at = excluded.updated_at`;
const OPEN_INCIDENT = `INSERT INTO incidents (rule, subject, status, opened_at, seq, last_notified_at, summary)
VALUES ($1, $2, 'open', $3, $4, $5, $6)
ON CONFLICT (rule, subject) WHERE status = 'open' DO NOTHING`;
const OPEN_INCIDENT_ID = "SELECT id FROM incidents WHERE rule = $1 AND subject = $2 AND status = 'open'";
const RENOTIFY_INCIDENT = `UPDATE incidents SET seq = greatest(seq, $1), last_notified_at = $2, summary = $3
WHERE rule = $4 AND subject = $5 AND status = 'open' RETURNING id`;
const RESOLVE_INCIDENT = `UPDATE incidents SET status = 'resolved', resolved_at = $1, seq = greatest(seq, $2)
WHERE rule = $3 AND subject = $4 AND status = 'open' RETURNING id`;
const INSERT_DELIVERY = `INSERT INTO alert_deliveries (dedupe_key, incident_id, seq, event, channel, status, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`;
const LOCK_DELIVERY = "SELECT status FROM alert_deliveries WHERE id = $1 FOR UPDATE";
const INSERT_ATTEMPT = `INSERT INTO alert_delivery_attempts (delivery_id, attempt, at, duration_ms, ok, detail)
VALUES ($1, $2, $3, $4, $5, $6)`;
const UPDATE_DELIVERY = `UPDATE alert_deliveries SET attempts = attempts + 1, status = $1, last_error = $2,
  sent_at = coalesce(sent_at, $3) WHERE id = $4`;
const INSERT_SILENCE = `INSERT INTO alert_silences (id, rule, subject, until, reason, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`;
const END_SILENCE = "UPDATE alert_silences SET until = least(until, $1) WHERE id = $2";

/** `store.alerts` on PostgreSQL: tracks, incidents, deliveries and their attempts, silences. */
export class PostgresAlerts implements AlertStore {
  constructor(private readonly deps: PostgresDeps) {}

  async recordEvaluation(evaluation: AlertEvaluation): Promise<DeliveryRow[]> {
    return this.deps.transaction(async (c) => {
      for (const t of evaluation.tracks)
        await c.query(UPSERT_TRACK, [t.rule, t.subject, t.track, t.updatedAt]);
      const created: DeliveryRow[] = [];
      for (const event of evaluation.events) {
        const incidentId = await applyEvent(c, event);
        if (incidentId === null) continue;
        for (const channel of event.channels) {
          const { rows } = await c.query(INSERT_DELIVERY, [
            deliveryKey(incidentId, event.seq, channel),
            incidentId,
            event.seq,
            event.kind,
            channel,
            deliveryStatusFor(event.silenced),
            event.at,
          ]);
          if (rows[0]) created.push(toDeliveryRow(rows[0]));
        }
      }
      return created;
    });
  }

  async recordDeliveryAttempt(a: DeliveryAttemptInput): Promise<void> {
    if (!isBigintId(a.deliveryId)) return;
    await this.deps.transaction(async (c) => {
      const { rows } = await c.query(LOCK_DELIVERY, [a.deliveryId]);
      if (rows.length === 0) return;
      await c.query(INSERT_ATTEMPT, [
        a.deliveryId,
        a.attempt,
        a.at,
        a.durationMs,
        a.ok,
        storableText(a.detail, 4096),
      ]);
      const status = a.ok ? "sent" : a.final ? "failed" : "pending";
      await c.query(UPDATE_DELIVERY, [
        status,
        a.ok ? null : storableText(a.detail, 4096),
        a.ok ? a.at : null,
        a.deliveryId,
      ]);
    });
  }

  async addSilence(s: SilenceRow): Promise<void> {
    await this.deps.write(INSERT_SILENCE, [
      s.id,
      s.rule,
      s.subject,
      s.until,
      storableText(s.reason),
      s.createdAt,
    ]);
  }

  async endSilence(id: string, now: number): Promise<boolean> {
    return this.deps.transaction(async (c) => ((await c.query(END_SILENCE, [now, id])).rowCount ?? 0) > 0);
  }
}

/** Inside the transaction: the incident the event belongs to (null: a renotify/resolve with none open). */
async function applyEvent(c: pg.PoolClient, e: IncidentEventInput): Promise<string | null> {
  if (e.kind === "open") {
    await c.query(OPEN_INCIDENT, [e.rule, e.subject, e.openedAt, e.seq, e.at, storableText(e.summary)]);
    const { rows } = await c.query(OPEN_INCIDENT_ID, [e.rule, e.subject]);
    return rows[0] ? String(rows[0].id) : null;
  }
  const { rows } =
    e.kind === "renotify"
      ? await c.query(RENOTIFY_INCIDENT, [e.seq, e.at, storableText(e.summary), e.rule, e.subject])
      : await c.query(RESOLVE_INCIDENT, [e.at, e.seq, e.rule, e.subject]);
  return rows[0] ? String(rows[0].id) : null;
}
