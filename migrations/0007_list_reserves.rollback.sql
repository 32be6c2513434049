ALTER TABLE match_lists RESET (fillfactor);
ALTER TABLE matcher_state DROP COLUMN IF EXISTS reserves_generation;
DROP TABLE IF EXISTS list_reserves;
