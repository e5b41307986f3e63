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
import type { Row, SqliteDeps } from "./sqlite-deps.ts";

// ── statements (tables from migration 9) ────────────────────────────────────

const TRACKS = "SELECT * FROM alert_tracks ORDER BY rule, subject";
const INCIDENT = "SELECT * FROM incidents WHERE id = ?";
const INCIDENTS = "SELECT * FROM incidents WHERE (? IS NULL OR status = ?) ORDER BY id DESC LIMIT ?";
const DELIVERY = "SELECT * FROM alert_deliveries WHERE id = ?";
const DELIVERIES = `SELECT * FROM alert_deliveries WHERE (? IS NULL OR incident_id = ?) AND (? IS NULL OR status = ?)
       ORDER BY id DESC LIMIT ?`;
const ATTEMPTS = "SELECT * FROM alert_delivery_attempts WHERE delivery_id = ? ORDER BY id";
const SILENCES = "SELECT * FROM alert_silences WHERE (? IS NULL OR until > ?) ORDER BY until DESC, id";
const CHECKS = "SELECT * FROM checks ORDER BY key";
const CHECK = "SELECT * FROM checks WHERE key = ?";
const CHECK_BY_TOKEN = "SELECT * FROM checks WHERE token_hash = ?";
const PINGS = "SELECT * FROM check_pings WHERE check_key = ? ORDER BY id DESC LIMIT ?";

const isId = (id: string) => /^[0-9]{1,18}$/.test(id);

/** The alert and check-in reads on SQLite (part of `store.queries`). */
export class SqliteAlertReads implements AlertQueries, CheckQueries {
  constructor(private readonly alertDeps: Pick<SqliteDeps, "stmt">) {}

  private rows(sql: string, ...params: unknown[]): Row[] {
    return this.alertDeps.stmt(sql).all(...params) as Row[];
  }

  private row(sql: string, ...params: unknown[]): Row | undefined {
    return this.alertDeps.stmt(sql).get(...params) as Row | undefined;
  }

  async listAlertTracks(): Promise<AlertTrackRow[]> {
    return this.rows(TRACKS).map(toTrackRow);
  }

  async getIncident(id: string): Promise<IncidentRow | null> {
    const row = isId(id) ? this.row(INCIDENT, id) : undefined;
    return row ? toIncidentRow(row) : null;
  }

  async listIncidents(filter: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRow[]> {
    const status = filter.status ?? null;
    return this.rows(INCIDENTS, status, status, filter.limit ?? 100).map(toIncidentRow);
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    const row = isId(id) ? this.row(DELIVERY, id) : undefined;
    return row ? toDeliveryRow(row) : null;
  }

  async listDeliveries(
    filter: { incidentId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<DeliveryRow[]> {
    if (filter.incidentId !== undefined && !isId(filter.incidentId)) return [];
    const incident = filter.incidentId ?? null;
    const status = filter.status ?? null;
    return this.rows(DELIVERIES, incident, incident, status, status, filter.limit ?? 100).map(toDeliveryRow);
  }

  async listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]> {
    return isId(deliveryId) ? this.rows(ATTEMPTS, deliveryId).map(toDeliveryAttemptRow) : [];
  }

  async listSilences(filter: { activeAt?: number } = {}): Promise<SilenceRow[]> {
    const at = filter.activeAt ?? null;
    return this.rows(SILENCES, at, at).map(toSilenceRow);
  }

  async listChecks(): Promise<CheckRow[]> {
    return this.rows(CHECKS).map(toCheckRow);
  }

  async getCheck(key: string): Promise<CheckRow | null> {
    const row = this.row(CHECK, key);
    return row ? toCheckRow(row) : null;
  }

  async getCheckByTokenHash(tokenHash: string): Promise<CheckRow | null> {
    const row = this.row(CHECK_BY_TOKEN, tokenHash);
    return row ? toCheckRow(row) : null;
  }

  async listPings(checkKey: string, options: { limit?: number } = {}): Promise<PingRow[]> {
    return this.rows(PINGS, checkKey, options.limit ?? 50).map(toPingRow);
  }
}
