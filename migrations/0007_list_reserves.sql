-- The lists a reindex computes, deeper than stored: the matcher holds every list with a reserve past its K
-- entries, so that a list losing an entry (a closed or moved target) stays exact without a search over every
-- target. Lists read back from match_lists have no reserve; straight after a reindex (reserves_generation is
-- the current generation: no list was written since) the matcher starts from these instead. The first list
-- written moves the generation on, and the rows are only a leftover until the next reindex replaces them.
-- Updates of match_lists leave room on their page, so that a rewritten list stays a heap-only update.
-- depends: 0006_lists_unindexed_by_target

CREATE TABLE list_reserves (
    direction  text NOT NULL CHECK (direction IN ('vacancy_to_resume', 'resume_to_vacancy')),
    source_id  text NOT NULL,
    target_ids text[] NOT NULL,
    scores     real[] NOT NULL,
    PRIMARY KEY (direction, source_id),
    CHECK (cardinality(target_ids) = cardinality(scores))
);

ALTER TABLE matcher_state ADD COLUMN reserves_generation bigint;

ALTER TABLE match_lists SET (fillfactor = 70);
