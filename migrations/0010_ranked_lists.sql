-- The recruiter's lists: the top of each candidate list by the active scoring model, with the model's score,
-- the suitable flag and the reasons per row. The matcher logs every list it writes or deletes in
-- list_changes (an outbox read by the scorer, who ranks those lists again and deletes the rows it handled).
-- depends: 0009_scoring

CREATE TABLE list_changes (
    id        bigserial PRIMARY KEY,
    direction text NOT NULL,
    source_id text NOT NULL
);

CREATE TABLE ranked_lists (
    direction     text NOT NULL CHECK (direction IN ('vacancy_to_resume', 'resume_to_vacancy')),
    source_id     text NOT NULL,
    target_ids    text[] NOT NULL,
    scores        real[] NOT NULL,                 -- the model's scores, or the cosines while none is active
    cosines       real[] NOT NULL,
    suitable      boolean[],                       -- NULL while no model is active: no flag is guessed
    explanations  jsonb NOT NULL,                  -- per row, its reasons
    model_version text NOT NULL,                   -- a registered model, or 'cosine'
    candidates_at timestamptz NOT NULL,            -- computed_at of the candidate list it was ranked from
    ranked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (direction, source_id),
    CHECK (cardinality(target_ids) = cardinality(scores) AND cardinality(target_ids) = cardinality(cosines))
);

-- Which model the lists were last ranked under: another one activated ranks every list again.
CREATE TABLE ranking_state (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    model_version text NOT NULL
);
INSERT INTO ranking_state (model_version) VALUES ('cosine');

-- Lists computed before this migration are ranked once.
INSERT INTO list_changes (direction, source_id) SELECT direction, source_id FROM match_lists;
