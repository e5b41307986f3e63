
-- A schedule that cannot be read or planned is set aside (issue 19): its error and when, and no
-- next fire, so it is never due and never the earliest; the others keep firing.
ALTER TABLE schedules ADD COLUMN broken_error TEXT;
ALTER TABLE schedules ADD COLUMN broken_at INTEGER;
