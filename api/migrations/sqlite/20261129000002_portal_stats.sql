-- Daily counters for the portal's statistics (issue 6): one row per UTC day
-- and metric, incremented where the event happens. Only counts: no GUID, no
-- token, no key. The clean-up deletes old registrations, results and keys
-- but not these rows, so the history outlives the data.
CREATE TABLE daily_counts (
    day    INTEGER NOT NULL,  -- unix seconds of 00:00 UTC
    metric TEXT    NOT NULL,  -- teletans, registrations, positive_results, keys_submitted, bundles_published
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, metric)
);
