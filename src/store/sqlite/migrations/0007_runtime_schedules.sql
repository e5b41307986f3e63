-- Schedules at run time (issue 24): metadata to filter by, which code version declared a code
-- schedule, and the code versions seen (their hash, order and schedule keys) for rolling deploys.
ALTER TABLE schedules ADD COLUMN tolerance_ms INTEGER;
ALTER TABLE schedules ADD COLUMN owner TEXT;
ALTER TABLE schedules ADD COLUMN tenant TEXT;
ALTER TABLE schedules ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE schedules ADD COLUMN declared_by TEXT;
CREATE INDEX schedules_owner ON schedules (owner) WHERE owner IS NOT NULL;
CREATE INDEX schedules_tenant ON schedules (tenant) WHERE tenant IS NOT NULL;
CREATE INDEX schedules_source ON schedules (source, id);

-- One row per declared code-schedule set: the newest version (highest) reconciles; older ones
-- running beside it during a rolling deploy write nothing.
CREATE TABLE schedule_deploys (
  code_hash TEXT PRIMARY KEY,
  version INTEGER NOT NULL UNIQUE,
  schedule_keys TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
