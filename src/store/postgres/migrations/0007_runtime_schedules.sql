-- Schedules at run time (issue 24): metadata to filter by, which code version declared a code
-- schedule, and the code versions seen (their hash, order and schedule keys) for rolling deploys.
ALTER TABLE schedules ADD COLUMN tolerance_ms bigint;
ALTER TABLE schedules ADD COLUMN owner text;
ALTER TABLE schedules ADD COLUMN tenant text;
ALTER TABLE schedules ADD COLUMN labels text NOT NULL DEFAULT '{}';
ALTER TABLE schedules ADD COLUMN declared_by text;
CREATE INDEX schedules_owner ON schedules (owner) WHERE owner IS NOT NULL;
CREATE INDEX schedules_tenant ON schedules (tenant) WHERE tenant IS NOT NULL;
CREATE INDEX schedules_source ON schedules (source, id);

-- One row per declared code-schedule set: the newest version (highest) reconciles; older ones
-- running beside it during a rolling deploy write nothing.
CREATE TABLE schedule_deploys (
  code_hash text PRIMARY KEY,
  version bigint NOT NULL UNIQUE,
  schedule_keys text NOT NULL,
  first_seen_at bigint NOT NULL,
  last_seen_at bigint NOT NULL
);
