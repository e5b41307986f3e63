-- Alerts and check-ins (spec §12, issue 21).

-- The incident state machine's memory per (rule, subject): core/incidents IncidentTrack as JSON.
CREATE TABLE alert_tracks (
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  track TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (rule, subject)
);

CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  resolved_at INTEGER,
  seq INTEGER NOT NULL,
  last_notified_at INTEGER NOT NULL,
  summary TEXT NOT NULL
);
-- At most one open incident per rule and subject, whichever process evaluated it.
CREATE UNIQUE INDEX incidents_one_open ON incidents (rule, subject) WHERE status = 'open';
CREATE INDEX incidents_opened ON incidents (opened_at);

-- One row per notification and channel: the unique dedupe key is the exactly-once guarantee.
CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY,
  dedupe_key TEXT NOT NULL UNIQUE,
  incident_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX alert_deliveries_incident ON alert_deliveries (incident_id);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (status) WHERE status = 'pending';

-- Every attempt of every delivery.
CREATE TABLE alert_delivery_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX alert_delivery_attempts_delivery ON alert_delivery_attempts (delivery_id);

CREATE TABLE alert_silences (
  id TEXT PRIMARY KEY,
  rule TEXT,
  subject TEXT,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Check-ins: work tickflow does not run pings it. The token is stored as its SHA-256 only;
-- generated_token is kept for a check defined without one, so its owner can read the ping URL.
CREATE TABLE checks (
  key TEXT PRIMARY KEY,
  trigger TEXT NOT NULL,
  grace_ms INTEGER NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  generated_token TEXT,
  last_end_at INTEGER,
  last_end_ok INTEGER,
  last_start_at INTEGER,
  last_duration_ms INTEGER,
  pings INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE check_pings (
  id INTEGER PRIMARY KEY,
  check_key TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  exit_code INTEGER,
  duration_ms INTEGER,
  body TEXT NOT NULL,
  remote TEXT
);
CREATE INDEX check_pings_check ON check_pings (check_key, id);
