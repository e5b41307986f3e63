-- Placeholder for issue 20's migration 6 (history rollups) while issue 24 is built on a branch:
-- replaced by issue 20's file when main is merged. Never shipped.
SELECT 1;
