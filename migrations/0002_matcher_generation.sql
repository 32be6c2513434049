-- A counter the active matcher bumps with every write of lists. A matcher whose in-memory index was built
-- at another generation (a standby that just took over, a consumer that lost and regained the queue)
-- sees the difference before its next batch and rebuilds its index from PostgreSQL first.
-- depends: 0001_initial

CREATE TABLE matcher_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation bigint NOT NULL DEFAULT 0
);

INSERT INTO matcher_state DEFAULT VALUES;
