//! The national federation's tables: which local keys went to the gateway
//! (`federation_uploaded_keys`, `federation_uploads`) and which batches came
//! from it (`federation_downloads`).

use futures_util::TryStreamExt;
use sqlx::Row;

use super::batch::FederatedKey;
use crate::config::CountryCode;
use crate::db::Db;
use crate::distribution::store::{ReadError, key_columns, key_of_row};

/// Local keys whose submitters consented, past their embargo, not yet uploaded.
pub(super) async fn consenting_keys(
    db: &Db,
    home: CountryCode,
    until: i64,
) -> Result<Vec<FederatedKey>, sqlx::Error> {
    let mut rows = sqlx::query(concat!(
        "SELECT ",
        key_columns!(),
        ", d.visited_countries, d.submitted_hour FROM diagnosis_keys d \
         LEFT JOIN federation_uploaded_keys u ON u.key_data = d.key_data \
         WHERE d.consent_to_federation = 1 AND d.origin_country = $1 \
         AND d.distributable_hour <= $2 AND u.key_data IS NULL ORDER BY d.key_data"
    ))
    .bind(home.as_str())
    .bind(until)
    .fetch(db.pool());
    let mut keys = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let key = match key_of_row(&row) {
            Ok(key) => key,
            // Written by something other than the submission (which checks
            // every field): the other keys still go, the operator is told.
            Err(ReadError::Key(problem)) => {
                tracing::warn!(%problem, "federation: a stored key is out of range; not uploaded");
                continue;
            }
            Err(ReadError::Sqlx(error)) => return Err(error),
        };
        let visited: &str = row.try_get(6)?;
        let submitted_hour: i64 = row.try_get(7)?;
        keys.push(FederatedKey::local(
            key,
            home.to_string(),
            visited
                .split(',')
                .filter(|code| !code.is_empty())
                .map(str::to_owned)
                .collect(),
            submitted_hour.div_euclid(24),
        ));
    }
    Ok(keys)
}

/// Records the keys of an uploaded batch (so they are never uploaded
/// again) and the upload with the gateway's status, in one transaction.
pub(super) async fn mark_uploaded(
    db: &Db,
    tag: &str,
    keys: &[&FederatedKey],
    now: i64,
    status: u16,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    for key in keys {
        sqlx::query(
            "INSERT INTO federation_uploaded_keys (key_data, batch_tag) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.key.key_data.to_vec())
        .bind(tag)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO federation_uploads (batch_tag, uploaded_at, keys, status) VALUES ($1, $2, $3, $4)",
    )
    .bind(tag)
    .bind(now)
    .bind(keys.len() as i64)
    .bind(i64::from(status))
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Whether the batch `tag` was downloaded and stored before.
pub(super) async fn already_downloaded(db: &Db, tag: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 FROM federation_downloads WHERE batch_tag = $1")
            .bind(tag)
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

/// Records a downloaded batch and how many of its keys were new.
pub(super) async fn record_download(
    db: &Db,
    tag: &str,
    date: &str,
    now: i64,
    keys: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO federation_downloads (batch_tag, batch_date, downloaded_at, keys) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(tag)
    .bind(date)
    .bind(now)
    .bind(i64::try_from(keys).unwrap_or(i64::MAX))
    .execute(db.pool())
    .await
    .map(|_| ())
}
