-- The portal: accounts, sessions, audit log (issue 6).
-- Passwords are Argon2id PHC strings; session ids are stored only as their
-- SHA-256. TOTP secrets must be readable to check a code, so they are the
-- one secret kept as it is (see ARCHITECTURE's invariants).

CREATE TABLE portal_users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    -- Base32 TOTP secret; NULL until the user confirmed enrolment.
    totp_secret    TEXT,
    -- Secret offered at the last log-in without a second factor.
    totp_pending   TEXT,
    -- Last accepted TOTP time step: a code is accepted once.
    totp_last_step BIGINT  NOT NULL DEFAULT 0,
    disabled       BIGINT  NOT NULL DEFAULT 0,
    -- Failed log-in attempts in a row, and until when the account waits.
    failed_logins  BIGINT  NOT NULL DEFAULT 0,
    locked_until   BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL
);

CREATE TABLE portal_sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    -- 'pending' (password checked, second factor outstanding) or 'active'.
    stage        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);

CREATE TABLE portal_audit (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     BIGINT  NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT '',
    count  BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX portal_audit_at ON portal_audit (at);
