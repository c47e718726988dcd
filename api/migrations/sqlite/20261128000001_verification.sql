-- Verification and test results (SPEC sections 2, 3 and 10).
-- Every secret is stored only as the hex SHA-256 of its text; integers are
-- 64-bit (unix seconds for times) so the same queries run on PostgreSQL.

CREATE TABLE registrations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT    NOT NULL UNIQUE,
    -- Exactly one of the two: the GUID or the teleTAN it was made from.
    guid_hash    TEXT    UNIQUE,
    teletan_hash TEXT    UNIQUE,
    tans_issued  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    CHECK ((guid_hash IS NULL) <> (teletan_hash IS NULL))
);
CREATE INDEX registrations_created_at ON registrations (created_at);

CREATE TABLE teletans (
    hash        TEXT    PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    redeemed_at INTEGER
);
CREATE INDEX teletans_created_at ON teletans (created_at);

CREATE TABLE tans (
    hash       TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX tans_expires_at ON tans (expires_at);

CREATE TABLE test_results (
    id_hash             TEXT    PRIMARY KEY,
    result              INTEGER NOT NULL,
    sample_collected_at INTEGER,
    lab_id              TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX test_results_created_at ON test_results (created_at);

CREATE TABLE labs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    key_hash   TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0
);

-- Rate limits counted in the database, so they hold across replicas.
-- A fixed window per scope (e.g. "teletan" per hour): one atomic upsert
-- takes a unit or finds the window full.
CREATE TABLE rate_limit_windows (
    scope        TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    PRIMARY KEY (scope, window_start)
);

-- When each portal user last issued a teleTAN (the per-user interval).
CREATE TABLE teletan_issuers (
    issuer         TEXT    PRIMARY KEY,
    last_issued_at INTEGER NOT NULL
);
