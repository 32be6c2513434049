DROP INDEX IF EXISTS applications_by_vacancy;
DROP TABLE IF EXISTS web_sessions;
DROP TABLE IF EXISTS api_keys;
