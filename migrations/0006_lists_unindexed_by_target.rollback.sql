CREATE INDEX IF NOT EXISTS match_lists_by_target ON match_lists USING gin (target_ids);
