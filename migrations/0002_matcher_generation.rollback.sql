DROP TABLE IF EXISTS matcher_state;
