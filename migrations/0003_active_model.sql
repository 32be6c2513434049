-- The active model: whose vectors the matcher ranks with and the embedder must write. NULL until the first
-- `careerrank reindex`, and then each worker follows its own configuration. `reindex --model M` builds every
-- vector and list for M beside the live ones and switches to M in one transaction; an embedder configured
-- for another model then holds its batches (nothing is lost) until it is redeployed with M.
-- depends: 0002_matcher_generation

CREATE TABLE active_model (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    model      text,
    changed_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO active_model DEFAULT VALUES;

-- One row per completed reindex: what was built and how long each stage took.
CREATE TABLE reindexes (
    id          bigserial PRIMARY KEY,
    model       text NOT NULL,
    started_at  timestamptz NOT NULL,
    swapped_at  timestamptz NOT NULL DEFAULT now(),
    vacancies   integer NOT NULL,
    resumes     integer NOT NULL,
    encoded     integer NOT NULL,
    match_rows  bigint NOT NULL,
    stages      jsonb NOT NULL DEFAULT '{}'
);
