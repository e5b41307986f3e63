
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
