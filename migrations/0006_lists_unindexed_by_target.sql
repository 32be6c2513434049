-- Lists are no longer looked up by the targets they hold: the matcher keeps every list in memory and finds
-- the lists a closed or moved item is in there. The GIN index on target_ids only cost writes (every list
-- written updates it, and keeps the update from being HOT).
-- depends: 0005_delivery_trials

DROP INDEX IF EXISTS match_lists_by_target;
