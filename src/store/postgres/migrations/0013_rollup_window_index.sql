
-- The rates of every subject at once (sumRollups, issue 20): one scan of a window of bucket
-- starts, index-only once vacuumed. It supersedes rollups_period.
CREATE INDEX rollups_window ON rollups (subject, period, bucket_start)
  INCLUDE (name, total, fired, missed, skipped, succeeded, failed, cancelled, on_time, late);
DROP INDEX rollups_period;
