CREATE TABLE matches_rows AS SELECT * FROM matches;
DROP VIEW matches;
ALTER TABLE matches_rows RENAME TO matches;
ALTER TABLE matches ADD PRIMARY KEY (direction, source_id, rank);
ALTER TABLE matches ADD UNIQUE (direction, source_id, target_id);
CREATE INDEX matches_by_target ON matches (direction, target_id);
DROP TABLE match_lists;
