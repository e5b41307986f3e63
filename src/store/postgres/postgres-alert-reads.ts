import type {
  AlertQueries,
  AlertTrackRow,
  DeliveryAttemptRow,
  DeliveryRow,
  DeliveryStatus,
  IncidentRow,
  IncidentStatus,
  SilenceRow,
} from "../ports/alerts.ts";
import type { CheckQueries, CheckRow, PingRow } from "../ports/checks.ts";
import {
  toCheckRow,
  toDeliveryAttemptRow,
  toDeliveryRow,
  toIncidentRow,
  toPingRow,
  toSilenceRow,
  toTrackRow,
} from "../shared/alert-rows.ts";
import { isBigintId, type PostgresDeps } from "./postgres-deps.ts";

// ── statements (tables from migration 9) ────────────────────────────────────

const TRACKS = "SELECT * FROM alert_tracks ORDER BY rule, subject";
const INCIDENT = "SELECT * FROM incidents WHERE id = $1";
const INCIDENTS = "SELECT * FROM incidents WHERE ($1::text IS NULL OR status = $1) ORDER BY id DESC LIMIT $2";
const DELIVERY = "SELECT * FROM alert_deliveries WHERE id = $1";
const DELIVERIES = `SELECT * FROM alert_deliveries WHERE ($1::bigint IS NULL OR incident_id = $1)
  AND ($2::text IS NULL OR status = $2) ORDER BY id DESC LIMIT $3`;
const ATTEMPTS = "SELECT * FROM alert_delivery_attempts WHERE delivery_id = $1 ORDER BY id";
const SILENCES =
  "SELECT * FROM alert_silences WHERE ($1::bigint IS NULL OR until > $1) ORDER BY until DESC, id";
const CHECKS = "SELECT * FROM checks ORDER BY key";
const CHECK = "SELECT * FROM checks WHERE key = $1";
const CHECK_BY_TOKEN = "SELECT * FROM checks WHERE token_hash = $1";
const PINGS = "SELECT * FROM check_pings WHERE check_key = $1 ORDER BY id DESC LIMIT $2";

/** The alert and check-in reads on PostgreSQL (part of `store.queries`). */
export class PostgresAlertReads implements AlertQueries, CheckQueries {
  constructor(private readonly alertDeps: Pick<PostgresDeps, "read">) {}

  private rows(sql: string, values: unknown[] = []) {
    return this.alertDeps.read(sql, values);
  }

  async listAlertTracks(): Promise<AlertTrackRow[]> {
    return (await this.rows(TRACKS)).map(toTrackRow);
  }

  async getIncident(id: string): Promise<IncidentRow | null> {
    if (!isBigintId(id)) return null;
    const [row] = await this.rows(INCIDENT, [id]);
    return row ? toIncidentRow(row) : null;
  }

  async listIncidents(filter: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRow[]> {
    return (await this.rows(INCIDENTS, [filter.status ?? null, filter.limit ?? 100])).map(toIncidentRow);
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    if (!isBigintId(id)) return null;
    const [row] = await this.rows(DELIVERY, [id]);
    return row ? toDeliveryRow(row) : null;
  }

  async listDeliveries(
    filter: { incidentId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<DeliveryRow[]> {
    if (filter.incidentId !== undefined && !isBigintId(filter.incidentId)) return [];
    const values = [filter.incidentId ?? null, filter.status ?? null, filter.limit ?? 100];
    return (await this.rows(DELIVERIES, values)).map(toDeliveryRow);
  }

  async listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]> {
    if (!isBigintId(deliveryId)) return [];
    return (await this.rows(ATTEMPTS, [deliveryId])).map(toDeliveryAttemptRow);
  }

  async listSilences(filter: { activeAt?: number } = {}): Promise<SilenceRow[]> {
    return (await this.rows(SILENCES, [filter.activeAt ?? null])).map(toSilenceRow);
  }

  async listChecks(): Promise<CheckRow[]> {
    return (await this.rows(CHECKS)).map(toCheckRow);
  }

  async getCheck(key: string): Promise<CheckRow | null> {
    const [row] = await this.rows(CHECK, [key]);
    return row ? toCheckRow(row) : null;
  }

  async getCheckByTokenHash(tokenHash: string): Promise<CheckRow | null> {
    const [row] = await this.rows(CHECK_BY_TOKEN, [tokenHash]);
    return row ? toCheckRow(row) : null;
  }

  async listPings(checkKey: string, options: { limit?: number } = {}): Promise<PingRow[]> {
    return (await this.rows(PINGS, [checkKey, options.limit ?? 50])).map(toPingRow);
  }
}
