-- Limits (issue 25): the partition key a per-key limit counts by, the key debounce / throttle /
-- singleton enqueues match on, the types an operator disabled, and the rate limits' token buckets.
ALTER TABLE jobs ADD COLUMN concurrency_key TEXT;
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT;
-- One pending job per dedupe key (singleton, debounce); a running one does not count.
CREATE UNIQUE INDEX jobs_dedupe_pending ON jobs (dedupe_key)
  WHERE dedupe_key IS NOT NULL AND (state = 'scheduled' OR state = 'available' OR state = 'retry_scheduled');
-- Throttle: was a job with this key created within the window (any state)?
CREATE INDEX jobs_dedupe_created ON jobs (dedupe_key, created_at) WHERE dedupe_key IS NOT NULL;
-- Disabled job types: a row means "claim no job of this type". Empty in the common case.
CREATE TABLE type_pauses (
  type TEXT PRIMARY KEY,
  paused_at INTEGER NOT NULL
);
-- Rate limits: one token bucket per limit (key '') or per limit and concurrency key.
CREATE TABLE limit_buckets (
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  tokens REAL NOT NULL,
  refilled_at INTEGER NOT NULL,
  PRIMARY KEY (name, key)
);
