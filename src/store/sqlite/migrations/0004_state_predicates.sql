
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
