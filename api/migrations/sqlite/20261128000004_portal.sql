-- The portal: accounts, sessions, audit log (issue 6).
-- Passwords are Argon2id PHC strings; session ids are stored only as their
-- SHA-256. TOTP secrets must be readable to check a code, so they are the
-- one secret kept as it is (see ARCHITECTURE's invariants).

CREATE TABLE portal_users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    -- Base32 TOTP secret; NULL until the user confirmed enrolment.
    totp_secret    TEXT,
    -- Secret offered at the last log-in without a second factor.
    totp_pending   TEXT,
    -- Last accepted TOTP time step: a code is accepted once.
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    -- Failed log-in attempts in a row, and until when the account waits.
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE portal_sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    -- 'pending' (password checked, second factor outstanding) or 'active'.
    stage        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);

CREATE TABLE portal_audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT '',
    count  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX portal_audit_at ON portal_audit (at);
