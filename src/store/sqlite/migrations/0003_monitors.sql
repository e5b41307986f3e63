
-- Liveness monitors (spec §5): the published state of each monitor; its counters' source of truth
-- is the monitor job's durable state (job_state), copied here once per counted check.
CREATE TABLE monitors (
  name TEXT PRIMARY KEY,
  job_type TEXT NOT NULL,
  target TEXT NOT NULL,
  interval_ms INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  rise_after INTEGER NOT NULL,
  fall_after INTEGER NOT NULL,
  gates TEXT NOT NULL,
  gate_unknown INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'UNKNOWN',
  successes INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  checks INTEGER NOT NULL DEFAULT 0,
  last_check_at INTEGER,
  last_check_ok INTEGER,
  last_check_duration_ms INTEGER,
  last_check_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- (monitor, seq) is unique: a check recorded twice (a crash between recording and finishing
-- the job) leaves one transition.
CREATE TABLE monitor_transitions (
  id INTEGER PRIMARY KEY,
  monitor TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  successes INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  error TEXT
);
CREATE UNIQUE INDEX monitor_transitions_seq ON monitor_transitions (monitor, seq);

-- Closed gates only: a row means "this monitor holds this queue closed"; claims skip a queue
-- with any row. Empty in the common case, so the claim's NOT IN costs nothing.
CREATE TABLE queue_gates (
  queue TEXT NOT NULL,
  monitor TEXT NOT NULL,
  closed_at INTEGER NOT NULL,
  PRIMARY KEY (queue, monitor)
);
