//! The gateway's tables: batches (`gateway_batches`) and their keys
//! (`gateway_keys`), stored in one transaction per upload and read back
//! per downloading country.

use futures_util::TryStreamExt;
use sqlx::Row;

use super::RETENTION_DAYS;
use crate::db::Db;
use crate::federation::batch::{self, FederatedKey};

/// What storing a batch did.
pub(super) struct Stored {
    /// The gateway's tag of the batch; `None` when every key was known.
    pub(super) tag: Option<String>,
    /// Indices of the keys stored.
    pub(super) created: Vec<usize>,
    /// Indices of keys stored before (by any batch).
    pub(super) conflicts: Vec<usize>,
}

/// Stores a batch in one transaction; `None` when the uploader used the tag before.
pub(super) async fn store_batch(
    db: &Db,
    uploader: &str,
    upload_tag: &str,
    keys: &[FederatedKey],
    now: i64,
) -> Result<Option<Stored>, sqlx::Error> {
    let date = batch::date_of(now);
    let mut tx = db.pool().begin().await?;
    // Batches past the retention go first (their keys with them).
    let expired = now - (RETENTION_DAYS + 1) * 86_400;
    sqlx::query(
        "DELETE FROM gateway_keys WHERE batch_id IN \
         (SELECT id FROM gateway_batches WHERE created_at < $1)",
    )
    .bind(expired)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM gateway_batches WHERE created_at < $1")
        .bind(expired)
        .execute(&mut *tx)
        .await?;
    let id: Option<i64> = sqlx::query(
        "INSERT INTO gateway_batches (tag, uploader, upload_tag, batch_date, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uploader, upload_tag) DO NOTHING RETURNING id",
    )
    .bind(format!("pending-{uploader}-{upload_tag}"))
    .bind(uploader)
    .bind(upload_tag)
    .bind(&date)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()?;
    let Some(id) = id else {
        return Ok(None);
    };
    let (mut created, mut conflicts) = (Vec::new(), Vec::new());
    for (index, key) in keys.iter().enumerate() {
        let done = sqlx::query(
            "INSERT INTO gateway_keys (key_data, batch_id, rolling_start_interval_number, \
             rolling_period, transmission_risk_level, visited_countries, origin, report_type, \
             days_since_onset_of_symptoms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.key.key_data.to_vec())
        .bind(id)
        .bind(i64::from(key.key.rolling_start_interval_number))
        .bind(i64::from(key.key.rolling_period))
        .bind(i64::from(key.key.transmission_risk_level))
        .bind(key.visited.join(","))
        .bind(&key.origin)
        .bind(i64::from(key.key.report_type.code()))
        // As it came: the EFGS encoding (see `batch::Dsos`).
        .bind(i64::from(key.dsos.encode()))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            created.push(index);
        } else {
            conflicts.push(index);
        }
    }
    let tag = if created.is_empty() {
        // Nothing new: the tag stays used, but no empty batch is served.
        sqlx::query("UPDATE gateway_batches SET tag = $1 WHERE id = $2")
            .bind(format!("empty-{id}"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        None
    } else {
        let tag = format!("{}-{id}", date.replace('-', ""));
        sqlx::query("UPDATE gateway_batches SET tag = $1 WHERE id = $2")
            .bind(&tag)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Some(tag)
    };
    tx.commit().await?;
    Ok(Some(Stored {
        tag,
        created,
        conflicts,
    }))
}

/// The batches of `date` that `country` may download, in upload order.
pub(super) async fn batches_for(
    db: &Db,
    date: &str,
    country: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut rows = sqlx::query(
        "SELECT b.id, b.tag FROM gateway_batches b WHERE b.batch_date = $1 AND b.uploader <> $2 \
         AND EXISTS (SELECT 1 FROM gateway_keys k WHERE k.batch_id = b.id AND k.origin <> $2) \
         ORDER BY b.id",
    )
    .bind(date)
    .bind(country)
    .fetch(db.pool());
    let mut batches = Vec::new();
    while let Some(row) = rows.try_next().await? {
        batches.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(batches)
}

/// The keys of one batch, without those of `requester`'s origin.
pub(super) async fn batch_keys(
    db: &Db,
    batch_id: i64,
    requester: &str,
) -> Result<Vec<proto::efgs::DiagnosisKey>, sqlx::Error> {
    let mut rows = sqlx::query(
        "SELECT key_data, rolling_start_interval_number, rolling_period, transmission_risk_level, \
         visited_countries, origin, report_type, days_since_onset_of_symptoms \
         FROM gateway_keys WHERE batch_id = $1 AND origin <> $2 ORDER BY key_data",
    )
    .bind(batch_id)
    .bind(requester)
    .fetch(db.pool());
    let mut keys = Vec::new();
    let int = |value: i64| i32::try_from(value).unwrap_or(0);
    while let Some(row) = rows.try_next().await? {
        let data: Vec<u8> = row.try_get(0)?;
        let visited: String = row.try_get(4)?;
        keys.push(proto::efgs::DiagnosisKey {
            key_data: data.into(),
            rolling_start_interval_number: u32::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0),
            rolling_period: u32::try_from(row.try_get::<i64, _>(2)?).unwrap_or(0),
            transmission_risk_level: int(row.try_get(3)?),
            visited_countries: visited
                .split(',')
                .filter(|code| !code.is_empty())
                .map(str::to_owned)
                .collect(),
            origin: row.try_get(5)?,
            report_type: int(row.try_get(6)?),
            days_since_onset_of_symptoms: int(row.try_get(7)?),
        });
    }
    Ok(keys)
}
