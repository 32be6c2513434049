-- The learned scorer: recruiter feedback as it arrived, applications with their scores, the registry of
-- trained models, and the scorer's own log of processed events.
-- Feedback and applications name items by id without foreign keys: events come out of order, and feedback
-- about an item not seen yet is kept until it arrives (training joins on what exists then).
-- depends: 0008_posting_profiles

CREATE TABLE feedback (
    event_id     text PRIMARY KEY,
    vacancy_id   text NOT NULL,
    resume_id    text NOT NULL,
    recruiter_id text NOT NULL,
    employer_id  text NOT NULL,
    decision     text NOT NULL CHECK (decision IN ('invited', 'rejected', 'shown')),
    position     smallint,
    occurred_at  timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_by_pair ON feedback (vacancy_id, resume_id);
CREATE INDEX feedback_by_time ON feedback (occurred_at);

CREATE TABLE applications (
    vacancy_id    text NOT NULL,
    resume_id     text NOT NULL,
    status        text NOT NULL CHECK (status IN ('open', 'withdrawn')),
    version       timestamptz NOT NULL,              -- occurred_at of the newest applied event
    submitted_at  timestamptz NOT NULL,
    score         real,                              -- NULL: not scored yet (an item or its vector is missing)
    suitable      boolean,                           -- NULL while unscored; the model's threshold decides
    explanation   jsonb,
    model_version text,                              -- a registered model, or 'cosine' while none is active
    vacancy_version timestamptz,                     -- the item versions the score was computed from
    resume_version  timestamptz,
    scored_at     timestamptz,
    PRIMARY KEY (vacancy_id, resume_id)
);
CREATE INDEX applications_by_resume ON applications (resume_id) WHERE status = 'open';

CREATE TABLE scoring_models (
    version         text PRIMARY KEY,
    state           text NOT NULL CHECK (state IN ('candidate', 'active', 'shadow', 'retired')),
    feature_version integer NOT NULL,
    trained_on      text NOT NULL,                   -- what the training data was, in words
    threshold       real NOT NULL,                   -- score at or above it: suitable
    metrics         jsonb NOT NULL,
    artifact        bytea NOT NULL,                  -- the booster and its text vectorizers (no pickle)
    created_at      timestamptz NOT NULL DEFAULT now(),
    activated_at    timestamptz
);
-- At most one model serves.
CREATE UNIQUE INDEX scoring_models_one_active ON scoring_models ((true)) WHERE state = 'active';

CREATE TABLE scoring_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('applied', 'stale')),
    processed_at timestamptz NOT NULL DEFAULT now()
);
