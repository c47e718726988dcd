-- Federation (issue 8). Two roles, each with its own tables; a process
-- uses only those of the role it runs.

-- National side: which local keys went to the gateway, in which batch.
-- Only keys whose submitter consented are ever listed here.
CREATE TABLE federation_uploaded_keys (
    key_data   BYTEA   PRIMARY KEY,  -- 16 bytes, a key of diagnosis_keys
    batch_tag  TEXT    NOT NULL
);

-- National side: the batches sent to the gateway.
CREATE TABLE federation_uploads (
    batch_tag   TEXT    PRIMARY KEY,
    uploaded_at BIGINT  NOT NULL,  -- unix seconds
    keys        BIGINT  NOT NULL,
    status      BIGINT  NOT NULL   -- HTTP status the gateway answered
);

-- National side: the gateway batches already downloaded (foreign keys
-- themselves go to diagnosis_keys with their origin country).
CREATE TABLE federation_downloads (
    batch_tag     TEXT    PRIMARY KEY,
    batch_date    TEXT    NOT NULL,  -- YYYY-MM-DD
    downloaded_at BIGINT  NOT NULL,  -- unix seconds
    keys          BIGINT  NOT NULL   -- keys stored from it
);

-- Gateway: one row per accepted upload. `tag` is the gateway's own tag,
-- by which countries download it; (uploader, upload_tag) is the uploader's.
CREATE TABLE gateway_batches (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag         TEXT    NOT NULL UNIQUE,
    uploader    TEXT    NOT NULL,  -- ISO 3166 alpha-2, from the client certificate
    upload_tag  TEXT    NOT NULL,
    batch_date  TEXT    NOT NULL,  -- YYYY-MM-DD (UTC) of the upload
    created_at  BIGINT  NOT NULL,  -- unix seconds
    UNIQUE (uploader, upload_tag)
);
CREATE INDEX gateway_batches_date ON gateway_batches (batch_date, id);

-- Gateway: the keys, each once.
CREATE TABLE gateway_keys (
    key_data                      BYTEA   PRIMARY KEY,  -- 16 bytes
    batch_id                      BIGINT  NOT NULL REFERENCES gateway_batches (id) ON DELETE CASCADE,
    rolling_start_interval_number BIGINT  NOT NULL,
    rolling_period                BIGINT  NOT NULL,
    transmission_risk_level       BIGINT  NOT NULL,
    visited_countries             TEXT    NOT NULL,  -- comma-separated
    origin                        TEXT    NOT NULL,
    report_type                   BIGINT  NOT NULL,
    days_since_onset_of_symptoms  BIGINT  NOT NULL
);
CREATE INDEX gateway_keys_batch ON gateway_keys (batch_id);

-- Gateway: the URL each country wants called when a batch arrives.
CREATE TABLE gateway_callbacks (
    country     TEXT NOT NULL,
    callback_id TEXT NOT NULL,
    url         TEXT NOT NULL,
    PRIMARY KEY (country, callback_id)
);
