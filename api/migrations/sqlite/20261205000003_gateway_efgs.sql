-- Gateway (issue 14): the contract of the European Federation Gateway
-- Service. A batch keeps what the audit interface answers (its signature,
-- the uploader's and the signer's certificate); its tag is unique across
-- all countries; a key is held once per whole record (EFGS's payload hash),
-- with every field exactly as uploaded. Existing rows are carried over.

CREATE TABLE gateway_batches_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tag                  TEXT    NOT NULL UNIQUE,  -- the gateway's tag (download, audit)
    uploader             TEXT    NOT NULL,         -- ISO 3166 alpha-2, from the client certificate
    upload_tag           TEXT    NOT NULL UNIQUE,  -- the uploader's batchTag, once across all countries
    batch_date           TEXT    NOT NULL,         -- YYYY-MM-DD (UTC) of the upload
    created_at           INTEGER NOT NULL,         -- unix seconds
    batch_signature      TEXT    NOT NULL DEFAULT '',  -- the batchSignature header as sent
    uploader_thumbprint  TEXT    NOT NULL DEFAULT '',  -- SHA-256 hex of the TLS client certificate
    uploader_certificate TEXT    NOT NULL DEFAULT '',  -- its PEM
    signer_thumbprint    TEXT    NOT NULL DEFAULT '',  -- SHA-256 hex of the signing certificate
    signer_certificate   TEXT    NOT NULL DEFAULT '',  -- its PEM
    key_count            INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE gateway_keys_new (
    id                            INTEGER PRIMARY KEY AUTOINCREMENT,
    payload_hash                  TEXT    NOT NULL UNIQUE,  -- SHA-256 hex of the key's signed record
    batch_id                      INTEGER NOT NULL REFERENCES gateway_batches_new (id) ON DELETE CASCADE,
    position                      INTEGER NOT NULL,         -- index in the uploaded batch
    key_data                      BLOB    NOT NULL,
    rolling_start_interval_number INTEGER NOT NULL,
    rolling_period                INTEGER NOT NULL,
    transmission_risk_level       INTEGER NOT NULL,
    visited_countries             TEXT    NOT NULL,         -- JSON array of strings, as sent
    origin                        TEXT    NOT NULL,
    report_type                   INTEGER NOT NULL,
    days_since_onset_of_symptoms  INTEGER NOT NULL
);

INSERT INTO gateway_batches_new (id, tag, uploader, upload_tag, batch_date, created_at, key_count)
SELECT b.id, b.tag, b.uploader, b.upload_tag, b.batch_date, b.created_at,
       (SELECT COUNT(*) FROM gateway_keys k WHERE k.batch_id = b.id)
FROM gateway_batches b WHERE true ORDER BY b.id
ON CONFLICT DO NOTHING;

INSERT INTO gateway_keys_new (payload_hash, batch_id, position, key_data,
    rolling_start_interval_number, rolling_period, transmission_risk_level,
    visited_countries, origin, report_type, days_since_onset_of_symptoms)
SELECT 'legacy-' || lower(hex(k.key_data)), k.batch_id, 0, k.key_data,
       k.rolling_start_interval_number, k.rolling_period, k.transmission_risk_level,
       CASE WHEN k.visited_countries = '' THEN '[]'
            ELSE '["' || replace(k.visited_countries, ',', '","') || '"]' END,
       k.origin, k.report_type, k.days_since_onset_of_symptoms
FROM gateway_keys k WHERE k.batch_id IN (SELECT id FROM gateway_batches_new);

DROP INDEX gateway_keys_batch;
DROP INDEX gateway_batches_date;
DROP TABLE gateway_keys;
DROP TABLE gateway_batches;
ALTER TABLE gateway_batches_new RENAME TO gateway_batches;
ALTER TABLE gateway_keys_new RENAME TO gateway_keys;
CREATE INDEX gateway_batches_date ON gateway_batches (batch_date, id);
CREATE INDEX gateway_keys_batch ON gateway_keys (batch_id, position, id);
