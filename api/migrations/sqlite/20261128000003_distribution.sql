-- One row per distribution run (`warn distribute`, or the hourly run of
-- `warn serve`). The portal's statistics read "bundles published per day"
-- from it. A run that was killed keeps finished_at NULL.
CREATE TABLE distribution_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at      INTEGER NOT NULL,  -- unix seconds
    finished_at     INTEGER,           -- unix seconds; NULL while running or when killed
    -- Bundle files (hourly, daily, batches) this run wrote because they
    -- were new or changed; an unchanged bundle is not rewritten.
    bundles_written INTEGER NOT NULL DEFAULT 0,
    -- Keys in the hourly bundles this run wrote.
    keys_published  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX distribution_runs_started_at ON distribution_runs (started_at);
