-- A message redelivered again and again (its consumer died each time, or handed it back) is tried alone,
-- and the try is written down first. A row still here when the message comes back means the worker died
-- while it held that message and nothing else: evidence against it, which a crash of a whole batch is not.
-- A try that ends, however it ends, deletes its row.
-- depends: 0004_list_rows

CREATE TABLE delivery_trials (
    queue            text NOT NULL,
    message_key      bytea NOT NULL,
    started          integer NOT NULL DEFAULT 1,
    first_started_at timestamptz NOT NULL DEFAULT now(),
    last_started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, message_key)
);
