
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
