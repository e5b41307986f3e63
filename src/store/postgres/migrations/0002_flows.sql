
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
