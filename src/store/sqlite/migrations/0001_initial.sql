
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
