-- Stored secrets under a server key (SPEC section 2), and TAN reservations.
--
-- One row, written by the first process that migrates under a key: the
-- HMAC of a fixed label under the key (never the key itself). Its presence
-- marks the re-keying of older rows (unkeyed SHA-256) as done; a process
-- whose key gives another value refuses to start (api/src/secrets.rs).
CREATE TABLE secret_hash_key (
    id         BIGINT  PRIMARY KEY CHECK (id = 1),
    key_check  TEXT    NOT NULL,
    adopted_at BIGINT  NOT NULL
);

-- A submission service in another process reserves a TAN, stores its keys,
-- then confirms (burns) it; a failed store releases it. A reservation ends
-- by itself at reserved_until. reserved_by is the keyed hash of the
-- reservation id the verification service handed out.
ALTER TABLE tans ADD COLUMN reserved_by TEXT;
ALTER TABLE tans ADD COLUMN reserved_until BIGINT;
