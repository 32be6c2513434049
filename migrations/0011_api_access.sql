-- Access to the HTTP API: keys (kept only as SHA-256 hashes of the key, each with a role, a recruiter's with
-- its employer) and the web page's sign-in sessions (kept as hashes too, each with its CSRF token).
-- depends: 0010_ranked_lists

CREATE TABLE api_keys (
    id          text PRIMARY KEY,                    -- public: shown in listings, named to revoke
    key_hash    bytea NOT NULL UNIQUE,               -- sha256 of the whole key; the key itself is never stored
    role        text NOT NULL CHECK (role IN ('admin', 'job_board', 'recruiter')),
    employer_id text,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((role = 'recruiter') = (employer_id IS NOT NULL))
);

CREATE TABLE web_sessions (
    token_hash  bytea PRIMARY KEY,                   -- sha256 of the cookie's token
    key_id      text NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- A vacancy's open applications best first, for the recruiter's tabs.
CREATE INDEX applications_by_vacancy ON applications (vacancy_id, score DESC) WHERE status = 'open';
