-- Issue 15: password changes, and log-in throttles that hold under any
-- concurrency and do not tell a known name from an unknown one.

-- Set for an initial or reset password: the user chooses a new one at the
-- next log-in before the portal lets them do anything else.
ALTER TABLE portal_users ADD COLUMN password_change_required BIGINT NOT NULL DEFAULT 0;

-- Failed password attempts per typed name (known or not), over every
-- client and every process: the key is a hash of the name, never an
-- address. `failed_logins`/`locked_until` of portal_users now count the
-- second factor and the password change only.
CREATE TABLE portal_login_throttle (
    name_key     TEXT    PRIMARY KEY,
    failures     BIGINT  NOT NULL,
    locked_until BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX portal_login_throttle_updated ON portal_login_throttle (updated_at);
