
-- The rates of every subject at once (sumRollups, issue 20): one walk of a window of bucket
-- starts with every count in the index, no row lookups. It supersedes rollups_period.
CREATE INDEX rollups_window ON rollups
  (subject, period, bucket_start, name, total, fired, missed, skipped, succeeded, failed, cancelled, on_time, late);
DROP INDEX rollups_period;
