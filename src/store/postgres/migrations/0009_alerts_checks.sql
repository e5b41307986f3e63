-- Alerts and check-ins (spec §12, issue 21).

-- The incident state machine's memory per (rule, subject): core/incidents IncidentTrack as JSON.
CREATE TABLE alert_tracks (
  rule text NOT NULL,
  subject text NOT NULL,
  track text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (rule, subject)
);

CREATE TABLE incidents (
  id bigserial PRIMARY KEY,
  rule text NOT NULL,
  subject text NOT NULL,
  status text NOT NULL,
  opened_at bigint NOT NULL,
  resolved_at bigint,
  seq integer NOT NULL,
  last_notified_at bigint NOT NULL,
  summary text NOT NULL
);
-- At most one open incident per rule and subject, whichever process evaluated it.
CREATE UNIQUE INDEX incidents_one_open ON incidents (rule, subject) WHERE status = 'open';
CREATE INDEX incidents_opened ON incidents (opened_at);

-- One row per notification and channel: the unique dedupe key is the exactly-once guarantee.
CREATE TABLE alert_deliveries (
  id bigserial PRIMARY KEY,
  dedupe_key text NOT NULL UNIQUE,
  incident_id bigint NOT NULL,
  seq integer NOT NULL,
  event text NOT NULL,
  channel text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at bigint NOT NULL,
  sent_at bigint
);
CREATE INDEX alert_deliveries_incident ON alert_deliveries (incident_id);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (status) WHERE status = 'pending';

-- Every attempt of every delivery.
CREATE TABLE alert_delivery_attempts (
  id bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL,
  attempt integer NOT NULL,
  at bigint NOT NULL,
  duration_ms bigint NOT NULL,
  ok boolean NOT NULL,
  detail text NOT NULL
);
CREATE INDEX alert_delivery_attempts_delivery ON alert_delivery_attempts (delivery_id);

CREATE TABLE alert_silences (
  id text PRIMARY KEY,
  rule text,
  subject text,
  until bigint NOT NULL,
  reason text NOT NULL,
  created_at bigint NOT NULL
);

-- Check-ins: work tickflow does not run pings it. The token is stored as its SHA-256 only;
-- generated_token is kept for a check defined without one, so its owner can read the ping URL.
CREATE TABLE checks (
  key text PRIMARY KEY,
  trigger text NOT NULL,
  grace_ms bigint NOT NULL,
  token_hash text NOT NULL UNIQUE,
  generated_token text,
  last_end_at bigint,
  last_end_ok boolean,
  last_start_at bigint,
  last_duration_ms bigint,
  pings integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE check_pings (
  id bigserial PRIMARY KEY,
  check_key text NOT NULL,
  at bigint NOT NULL,
  kind text NOT NULL,
  exit_code integer,
  duration_ms bigint,
  body text NOT NULL,
  remote text
);
CREATE INDEX check_pings_check ON check_pings (check_key, id);
