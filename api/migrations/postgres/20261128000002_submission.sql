-- Diagnosis keys (SPEC sections 4 and 5). Nothing links a key to its
-- submitter or connection: no TAN, no address, no submission id, and the
-- submission time only to the hour. Keys of one submission are not
-- distinguishable from each other's neighbours once sorted by key data.

CREATE TABLE diagnosis_keys (
    key_data                      BYTEA   PRIMARY KEY,  -- 16 bytes
    rolling_start_interval_number BIGINT  NOT NULL,
    rolling_period                BIGINT  NOT NULL,
    transmission_risk_level       BIGINT  NOT NULL,
    report_type                   BIGINT  NOT NULL,
    days_since_onset_of_symptoms  BIGINT,
    -- ISO 3166 alpha-2 of the country whose users submitted the key.
    origin_country                TEXT    NOT NULL,
    -- Sorted, comma-separated ISO 3166 alpha-2 codes, the origin included.
    visited_countries             TEXT    NOT NULL,
    consent_to_federation         BIGINT  NOT NULL,  -- 0 or 1
    submission_type               BIGINT  NOT NULL,  -- 0 PCR test, 1 rapid test
    -- Unix hours (seconds / 3600) of the submission.
    submitted_hour                BIGINT  NOT NULL,
    -- Unix hour from which the key may be published: the later of the end
    -- of its embargo (validity end + 2 h, rounded up) and the hour after
    -- its submission.
    distributable_hour            BIGINT  NOT NULL
);
CREATE INDEX diagnosis_keys_distributable_hour ON diagnosis_keys (distributable_hour);
CREATE INDEX diagnosis_keys_rolling_start ON diagnosis_keys (rolling_start_interval_number);
