
-- Liveness monitors (spec §5): the published state of each monitor; its counters' source of truth
-- is the monitor job's durable state (job_state), copied here once per counted check.
CREATE TABLE monitors (
  name text PRIMARY KEY,
  job_type text NOT NULL,
  target text NOT NULL,
  interval_ms bigint NOT NULL,
  timeout_ms bigint NOT NULL,
  rise_after integer NOT NULL,
  fall_after integer NOT NULL,
  gates text NOT NULL,
  gate_unknown boolean NOT NULL DEFAULT false,
  state text NOT NULL DEFAULT 'UNKNOWN',
  successes integer NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  checks integer NOT NULL DEFAULT 0,
  last_check_at bigint,
  last_check_ok boolean,
  last_check_duration_ms bigint,
  last_check_error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

-- (monitor, seq) is unique: a check recorded twice (a crash between recording and finishing
-- the job) leaves one transition.
CREATE TABLE monitor_transitions (
  id bigserial PRIMARY KEY,
  monitor text NOT NULL,
  seq integer NOT NULL,
  at bigint NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL,
  successes integer NOT NULL,
  failures integer NOT NULL,
  error text
);
CREATE UNIQUE INDEX monitor_transitions_seq ON monitor_transitions (monitor, seq);

-- Closed gates only: a row means "this monitor holds this queue closed"; claims skip a queue
-- with any row. Empty in the common case, so the claim's NOT IN costs nothing.
CREATE TABLE queue_gates (
  queue text NOT NULL,
  monitor text NOT NULL,
  closed_at bigint NOT NULL,
  PRIMARY KEY (queue, monitor)
);
