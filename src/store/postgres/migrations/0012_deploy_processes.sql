-- Rolling deploys (issue 24, after 0007 shipped to main): the running processes of each code
-- version, by check-in. A newer version is live while one of its processes is; when all have
-- stopped (or not checked in for 3 minutes), an older version starting again — a rollback —
-- reconciles at once. (0010 is reserved by issue 22; 0011 is issue 25's.)
CREATE TABLE schedule_deploy_processes (
  process_id text PRIMARY KEY,
  code_hash text NOT NULL,
  last_seen_at bigint NOT NULL,
  stopped_at bigint
);
