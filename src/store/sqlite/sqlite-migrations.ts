import type { Migration } from "../migrator.ts";

/**
 * SQLite schema, append-only: never edit a shipped migration, add the next number.
 * Times are INTEGER epoch milliseconds; JSON is TEXT.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  key TEXT,
  timeout_ms INTEGER,
  backoff TEXT NOT NULL,
  state_key TEXT,
  schedule_id TEXT,
  nominal_at INTEGER,
  lease_owner TEXT,
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER,
  started_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
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
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error_message TEXT,
  error_stack TEXT
);
CREATE INDEX job_runs_job ON job_runs (job_id, id);
CREATE INDEX job_runs_ended ON job_runs (ended_at);

CREATE TABLE job_state (
  state_key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  job_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  trigger TEXT NOT NULL,
  misfire TEXT NOT NULL,
  grace_ms INTEGER NOT NULL,
  overlap TEXT NOT NULL,
  job_options TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'code',
  paused INTEGER NOT NULL DEFAULT 0,
  next_fire_at INTEGER,
  last_fire_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- One row per nominal tick: the primary key is the exactly-once guarantee.
CREATE TABLE schedule_ticks (
  schedule_id TEXT NOT NULL,
  nominal_at INTEGER NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT,
  decided_at INTEGER NOT NULL,
  job_id INTEGER,
  started_at INTEGER,
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
  name TEXT PRIMARY KEY,
  enabled INTEGER NOT NULL DEFAULT 1,
  schedule TEXT,
  schedule_id TEXT,
  queue TEXT NOT NULL,
  retries INTEGER NOT NULL,
  timeout_ms INTEGER,
  backoff TEXT NOT NULL,
  removed_at INTEGER,
  last_run_at INTEGER,
  last_run_status TEXT CHECK (last_run_status IN ('in_progress', 'success', 'failed')),
  next_run_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per attempt of a flow; every retry of one trigger shares its job_id.
CREATE TABLE data_flow_runs (
  id INTEGER PRIMARY KEY,
  flow TEXT NOT NULL REFERENCES data_flows (name),
  status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'success', 'failed')),
  source TEXT NOT NULL CHECK (source IN ('schedule', 'manual', 'heartbeat', 'api')),
  attempt INTEGER NOT NULL,
  job_id INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  duration_ms INTEGER,
  error_message TEXT,
  error_stack TEXT
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
`,
  },
  {
    version: 4,
    name: "state predicates",
    sql: `
-- Partial-index predicates as OR chains instead of IN lists of three or more states: SQLite
-- builds an ephemeral table for such a list on every statement run, and every write to jobs
-- evaluates these predicates (claim + finish measured 16.9 -> 11.5 us/job). Queries spell the
-- same chains (src/store/sqlite/sqlite-states.ts): a partial index is matched structurally.
DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id)
  WHERE (state = 'scheduled' OR state = 'available' OR state = 'retry_scheduled');
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id)
  WHERE (state = 'scheduled' OR state = 'available' OR state = 'retry_scheduled');
DROP INDEX jobs_key_unfinished;
CREATE UNIQUE INDEX jobs_key_unfinished ON jobs (key)
  WHERE key IS NOT NULL AND (state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retry_scheduled');
DROP INDEX jobs_schedule_unfinished;
CREATE INDEX jobs_schedule_unfinished ON jobs (schedule_id)
  WHERE schedule_id IS NOT NULL AND (state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retry_scheduled');
DROP INDEX jobs_state_key_unfinished;
CREATE INDEX jobs_state_key_unfinished ON jobs (state_key, state, run_at, id)
  WHERE state_key IS NOT NULL AND (state = 'scheduled' OR state = 'available' OR state = 'running' OR state = 'retry_scheduled');
-- Never read: run history is read by job and pruned by job. One index less on every attempt.
DROP INDEX job_runs_ended;
`,
  },
  {
    version: 5,
    name: "broken schedules",
    sql: `
-- A schedule that cannot be read or planned is set aside (issue 19): its error and when, and no
-- next fire, so it is never due and never the earliest; the others keep firing.
ALTER TABLE schedules ADD COLUMN broken_error TEXT;
ALTER TABLE schedules ADD COLUMN broken_at INTEGER;
`,
  },
  {
    version: 6,
    name: "history rollups",
    sql: `
-- History that survives pruning (store/ports/history.ts): one row per subject, period, bucket.
-- latency/duration are JSON {count, max, histogram[32]} (core/rollup.ts), mergeable across batches.
CREATE TABLE rollups (
  subject TEXT NOT NULL,
  name TEXT NOT NULL,
  period TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  fired INTEGER NOT NULL DEFAULT 0,
  missed INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  cancelled INTEGER NOT NULL DEFAULT 0,
  on_time INTEGER NOT NULL DEFAULT 0,
  late INTEGER NOT NULL DEFAULT 0,
  latency TEXT NOT NULL,
  duration TEXT NOT NULL,
  up_ms INTEGER NOT NULL DEFAULT 0,
  observed_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, name, period, bucket_start)
);
CREATE INDEX rollups_period ON rollups (subject, period, bucket_start);
-- How far each fold has counted: (at, key) of the last row folded.
CREATE TABLE history_watermarks (
  source TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  key TEXT NOT NULL
);
-- Folds and pruning walk ticks oldest first across schedules.
CREATE INDEX schedule_ticks_nominal ON schedule_ticks (nominal_at, schedule_id);
`,
  },
];
