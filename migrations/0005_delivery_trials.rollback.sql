DROP TABLE IF EXISTS delivery_trials;
