DROP TABLE IF EXISTS ranking_state;
DROP TABLE IF EXISTS ranked_lists;
DROP TABLE IF EXISTS list_changes;
