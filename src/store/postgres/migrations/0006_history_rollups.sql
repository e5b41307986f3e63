
-- History that survives pruning (store/ports/history-store.ts): one row per subject, period, bucket.
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
