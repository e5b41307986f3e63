import type { Migration } from "../migrator.ts";

/**
 * PostgreSQL schema, append-only: never edit a shipped migration, add the next number (the same
 * numbers and names as sqlite-migrations.ts). The text is schema-neutral: the migrator runs it with
 * `search_path` set to tickflow's schema, so one checksum holds for every schema name.
 * Times are bigint epoch milliseconds (as in SQLite: the contract speaks epoch ms); JSON is text,
 * so a payload reads back byte for byte as it was written.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  queue text NOT NULL,
  payload text NOT NULL,
  state text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  run_at bigint NOT NULL,
  key text,
  timeout_ms bigint,
  backoff text NOT NULL,
  state_key text,
  schedule_id text,
  nominal_at bigint,
  lease_owner text,
  lease_token bigint NOT NULL DEFAULT 0,
  lease_expires_at bigint,
  started_at bigint,
  last_error text,
  created_at bigint NOT NULL,
  finished_at bigint
);
-- The claim order; partial so finished jobs cost the claim nothing.
CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id)
  WHERE state IN ('scheduled', 'available', 'retry_scheduled');
CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id)
  WHERE state IN ('scheduled', 'available', 'retry_scheduled');
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE UNIQUE INDEX jobs_key_unfinished ON jobs (key)
  WHERE key IS NOT NULL AND state IN ('scheduled', 'available', 'running', 'retry_scheduled');
CREATE INDEX jobs_schedule_unfinished ON jobs (schedule_id)
  WHERE schedule_id IS NOT NULL AND state IN ('scheduled', 'available', 'running', 'retry_scheduled');
CREATE INDEX jobs_state_key_unfinished ON jobs (state_key, state, run_at, id)
  WHERE state_key IS NOT NULL AND state IN ('scheduled', 'available', 'running', 'retry_scheduled');
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_runs (
  id bigserial PRIMARY KEY,
  job_id bigint NOT NULL,
  attempt integer NOT NULL,
  worker_id text NOT NULL,
  started_at bigint NOT NULL,
  ended_at bigint NOT NULL,
  duration_ms bigint NOT NULL,
  outcome text NOT NULL,
  error_message text,
  error_stack text
);
CREATE INDEX job_runs_job ON job_runs (job_id, id);
CREATE INDEX job_runs_ended ON job_runs (ended_at);

CREATE TABLE job_state (
  state_key text PRIMARY KEY,
  state text NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE schedules (
  id text PRIMARY KEY,
  job_type text NOT NULL,
  payload text NOT NULL,
  trigger text NOT NULL,
  misfire text NOT NULL,
  grace_ms bigint NOT NULL,
  overlap text NOT NULL,
  job_options text NOT NULL,
  source text NOT NULL DEFAULT 'code',
  paused boolean NOT NULL DEFAULT false,
  next_fire_at bigint,
  last_fire_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- One row per nominal tick: the primary key is the exactly-once guarantee.
CREATE TABLE schedule_ticks (
  schedule_id text NOT NULL,
  nominal_at bigint NOT NULL,
  decision text NOT NULL,
  reason text,
  decided_at bigint NOT NULL,
  job_id bigint,
  started_at bigint,
  PRIMARY KEY (schedule_id, nominal_at)
);
`,
  },
  {
    version: 2,
    name: "flows",
    sql: `
-- Data flows (spec §6): one row per flow ever defined in code. Removed flows are marked, never deleted.
CREATE TABLE data_flows (
  name text PRIMARY KEY,
  enabled boolean NOT NULL DEFAULT true,
  schedule text,
  schedule_id text,
  queue text NOT NULL,
  retries integer NOT NULL,
  timeout_ms bigint,
  backoff text NOT NULL,
  removed_at bigint,
  last_run_at bigint,
  last_run_status text CHECK (last_run_status IN ('in_progress', 'success', 'failed')),
  next_run_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

-- One row per attempt of a flow; every retry of one trigger shares its job_id.
CREATE TABLE data_flow_runs (
  id bigserial PRIMARY KEY,
  flow text NOT NULL REFERENCES data_flows (name),
  status text NOT NULL CHECK (status IN ('pending', 'in_progress', 'success', 'failed')),
  source text NOT NULL CHECK (source IN ('schedule', 'manual', 'heartbeat', 'api')),
  attempt integer NOT NULL,
  job_id bigint,
  created_at bigint NOT NULL,
  started_at bigint,
  ended_at bigint,
  duration_ms bigint,
  error_message text,
  error_stack text
);
-- The concurrency guarantee: at most one pending or in_progress run per flow, whatever the process.
CREATE UNIQUE INDEX data_flow_runs_one_active ON data_flow_runs (flow)
  WHERE status IN ('pending', 'in_progress');
CREATE INDEX data_flow_runs_flow ON data_flow_runs (flow, id);
CREATE INDEX data_flow_runs_job ON data_flow_runs (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX data_flow_runs_ended ON data_flow_runs (ended_at) WHERE ended_at IS NOT NULL;
`,
  },
  {
    version: 3,
    name: "monitors",
    sql: `
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
`,
  },
  {
    version: 4,
    name: "state predicates",
    sql: `
-- Never read: run history is read by job and pruned by job. One index less on every attempt.
-- (The SQLite migration of this number also respells its partial-index predicates; PostgreSQL
-- evaluates IN lists without that cost.)
DROP INDEX job_runs_ended;
`,
  },
  {
    version: 5,
    name: "broken schedules",
    sql: `
-- A schedule that cannot be read or planned is set aside (issue 19): its error and when, and no
-- next fire, so it is never due and never the earliest; the others keep firing.
ALTER TABLE schedules ADD COLUMN broken_error text;
ALTER TABLE schedules ADD COLUMN broken_at bigint;
`,
  },
  {
    version: 6,
    name: "history rollups",
    sql: `
-- History that survives pruning (store/ports/history.ts): one row per subject, period, bucket.
-- latency/duration are JSON text {count, max, histogram[32]} (core/rollup.ts), mergeable across batches.
CREATE TABLE rollups (
  subject text NOT NULL,
  name text NOT NULL,
  period text NOT NULL,
  bucket_start bigint NOT NULL,
  total bigint NOT NULL DEFAULT 0,
  fired bigint NOT NULL DEFAULT 0,
  missed bigint NOT NULL DEFAULT 0,
  skipped bigint NOT NULL DEFAULT 0,
  succeeded bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  cancelled bigint NOT NULL DEFAULT 0,
  on_time bigint NOT NULL DEFAULT 0,
  late bigint NOT NULL DEFAULT 0,
  latency text NOT NULL,
  duration text NOT NULL,
  up_ms bigint NOT NULL DEFAULT 0,
  observed_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, name, period, bucket_start)
);
CREATE INDEX rollups_period ON rollups (subject, period, bucket_start);
-- How far each fold has counted: (at, key) of the last row folded.
CREATE TABLE history_watermarks (
  source text PRIMARY KEY,
  at bigint NOT NULL,
  key text NOT NULL
);
-- Folds and pruning walk ticks oldest first across schedules.
CREATE INDEX schedule_ticks_nominal ON schedule_ticks (nominal_at, schedule_id);
`,
  },
];
