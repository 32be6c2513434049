-- CareerRank initial schema. PostgreSQL is the source of truth: the FAISS index and every in-memory
-- structure of the workers is rebuilt from these tables.
-- depends:

CREATE TABLE vacancies (
    id               text PRIMARY KEY,
    version          timestamptz NOT NULL,          -- occurred_at of the newest applied event
    status           text NOT NULL CHECK (status IN ('open', 'closed')),
    title            text NOT NULL,
    body             text NOT NULL,
    skills           text[] NOT NULL DEFAULT '{}',
    salary_from      integer,
    salary_to        integer,
    currency         char(3) NOT NULL DEFAULT 'RUB',
    city             text,
    experience_years real,
    language         text,
    text_hash        bytea,                          -- hash of the text the encoder saw
    matched_version  timestamptz,                    -- version whose matches are committed
    matched_at       timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE resumes (LIKE vacancies INCLUDING ALL);

CREATE INDEX vacancies_unmatched ON vacancies (id) WHERE status = 'open' AND matched_version IS DISTINCT FROM version;
CREATE INDEX resumes_unmatched ON resumes (id) WHERE status = 'open' AND matched_version IS DISTINCT FROM version;

CREATE TABLE embeddings (
    kind       text NOT NULL CHECK (kind IN ('vacancy', 'resume')),
    item_id    text NOT NULL,
    model      text NOT NULL,
    version    timestamptz NOT NULL,
    text_hash  bytea NOT NULL,
    dim        integer NOT NULL CHECK (dim > 0),
    vector     bytea NOT NULL CHECK (length(vector) = 4 * dim),  -- float32 little-endian, L2-normalised
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, item_id, model)
);

CREATE TABLE matches (
    direction     text NOT NULL CHECK (direction IN ('vacancy_to_resume', 'resume_to_vacancy')),
    source_id     text NOT NULL,
    rank          smallint NOT NULL CHECK (rank BETWEEN 1 AND 100),
    target_id     text NOT NULL,
    score         real NOT NULL,
    model_version text NOT NULL,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (direction, source_id, rank),
    UNIQUE (direction, source_id, target_id)
);

-- "Which lists is this item in?" on close, delete and update.
CREATE INDEX matches_by_target ON matches (direction, target_id);

CREATE TABLE processed_events (
    event_id     text PRIMARY KEY,
    kind         text NOT NULL,
    item_id      text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'stale', 'superseded')),
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    queue       text NOT NULL,
    reason      text NOT NULL,
    body        bytea NOT NULL,
    headers     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);

CREATE INDEX dead_letters_pending ON dead_letters (created_at) WHERE replayed_at IS NULL;
