DROP TABLE IF EXISTS scoring_events;
DROP TABLE IF EXISTS scoring_models;
DROP TABLE IF EXISTS applications;
DROP TABLE IF EXISTS feedback;
