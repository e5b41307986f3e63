
-- History that survives pruning (store/ports/history-store.ts): one row per subject, period, bucket.
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
