
-- Never read: run history is read by job and pruned by job. One index less on every attempt.
-- (The SQLite migration of this number also respells its partial-index predicates; PostgreSQL
-- evaluates IN lists without that cost.)
DROP INDEX job_runs_ended;
