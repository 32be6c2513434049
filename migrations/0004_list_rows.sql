-- A list is one row: its targets and scores as arrays, best first. A new item entering a list rewrites one
-- row instead of ten (the matcher writes about eleven lists per new item in steady state: its own, and the
-- ones of the other kind it now belongs to). `matches` stays readable as before, one row per rank, as a view.
-- depends: 0003_active_model

CREATE TABLE match_lists (
    direction     text NOT NULL CHECK (direction IN ('vacancy_to_resume', 'resume_to_vacancy')),
    source_id     text NOT NULL,
    target_ids    text[] NOT NULL,
    scores        real[] NOT NULL,
    model_version text NOT NULL,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (direction, source_id),
    CHECK (cardinality(target_ids) = cardinality(scores) AND cardinality(target_ids) BETWEEN 1 AND 100)
);

INSERT INTO match_lists (direction, source_id, target_ids, scores, model_version, computed_at)
SELECT direction, source_id, array_agg(target_id ORDER BY rank), array_agg(score ORDER BY rank),
       min(model_version), max(computed_at)
  FROM matches GROUP BY direction, source_id;

DROP TABLE matches;

-- "Which lists hold this item?" on close and update.
CREATE INDEX match_lists_by_target ON match_lists USING gin (target_ids);

CREATE VIEW matches AS
SELECT l.direction, l.source_id, u.rank::smallint AS rank, u.target_id, u.score, l.model_version, l.computed_at
  FROM match_lists l
 CROSS JOIN LATERAL unnest(l.target_ids, l.scores) WITH ORDINALITY AS u(target_id, score, rank);
