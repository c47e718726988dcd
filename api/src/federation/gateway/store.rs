//! The gateway's tables: batches (`gateway_batches`, with what the audit
//! interface answers) and their keys (`gateway_keys`, every field as
//! uploaded, each whole record once), stored in one transaction per upload.

use futures_util::TryStreamExt;
use proto::efgs::DiagnosisKey;
use sqlx::Row;

use super::common::RETENTION_DAYS;
use crate::db::Db;
use crate::federation::batch;
use crate::federation::signature::record_hash;

/// Who uploaded a batch, as the audit interface tells it.
#[derive(Debug, Clone, Default)]
pub(super) struct Uploader {
    /// ISO 3166 code of the client certificate.
    pub(super) country: String,
    /// The uploader's batch tag.
    pub(super) upload_tag: String,
    /// The `batchSignature` header as sent.
    pub(super) signature: String,
    /// SHA-256 hex and PEM of the TLS client certificate.
    pub(super) thumbprint: String,
    pub(super) certificate: String,
    /// SHA-256 hex and PEM of the signing certificate.
    pub(super) signer_thumbprint: String,
    pub(super) signer_certificate: String,
}

/// What storing a batch did.
pub(super) enum Stored {
    /// Every key stored; the gateway's tag of the batch.
    Created(String),
    /// Some keys' records were held already (their indices); nothing stored.
    Conflicts(Vec<usize>),
    /// The upload tag was used before (by any country); nothing stored.
    TagUsed,
}

/// Whether any country used `upload_tag` before.
pub(super) async fn upload_tag_used(db: &Db, upload_tag: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 FROM gateway_batches WHERE upload_tag = $1")
            .bind(upload_tag)
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

/// Stores a batch in one transaction, all or nothing (EFGS
/// `DiagnosisKeyEntityService.saveDiagnosisKeyEntities` rolls back when a
/// key's payload hash is held already).
pub(super) async fn store_batch(
    db: &Db,
    uploader: &Uploader,
    keys: &[DiagnosisKey],
    now: i64,
) -> Result<Stored, sqlx::Error> {
    let date = batch::date_of(now);
    let mut tx = db.pool().begin().await?;
    delete_expired_batches(&mut tx, now).await?;
    let Some(id) = insert_batch(&mut tx, uploader, &date, keys.len(), now).await? else {
        return Ok(Stored::TagUsed);
    };
    let conflicts = insert_keys(&mut tx, id, keys).await?;
    if !conflicts.is_empty() {
        tx.rollback().await?;
        return Ok(Stored::Conflicts(conflicts));
    }
    let tag = format!("{}-{id}", date.replace('-', ""));
    sqlx::query("UPDATE gateway_batches SET tag = $1 WHERE id = $2")
        .bind(&tag)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Stored::Created(tag))
}

type Transaction = sqlx::Transaction<'static, sqlx::Any>;

/// Deletes the batches past the retention, their keys with them.
async fn delete_expired_batches(tx: &mut Transaction, now: i64) -> Result<(), sqlx::Error> {
    let expired = now - (RETENTION_DAYS + 1) * 86_400;
    sqlx::query(
        "DELETE FROM gateway_keys WHERE batch_id IN \
         (SELECT id FROM gateway_batches WHERE created_at < $1)",
    )
    .bind(expired)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM gateway_batches WHERE created_at < $1")
        .bind(expired)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The new batch's row id (under a pending tag until its keys are in), or
/// `None` when its upload tag was used before.
async fn insert_batch(
    tx: &mut Transaction,
    uploader: &Uploader,
    date: &str,
    key_count: usize,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO gateway_batches (tag, uploader, upload_tag, batch_date, created_at, \
         batch_signature, uploader_thumbprint, uploader_certificate, signer_thumbprint, \
         signer_certificate, key_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(format!("pending-{}", uploader.upload_tag))
    .bind(&uploader.country)
    .bind(&uploader.upload_tag)
    .bind(date)
    .bind(now)
    .bind(&uploader.signature)
    .bind(&uploader.thumbprint)
    .bind(&uploader.certificate)
    .bind(&uploader.signer_thumbprint)
    .bind(&uploader.signer_certificate)
    .bind(i64::try_from(key_count).unwrap_or(i64::MAX))
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()
}

/// Inserts the keys of batch `id`, every field as uploaded; answers the
/// indices of those whose whole record is held already.
async fn insert_keys(
    tx: &mut Transaction,
    id: i64,
    keys: &[DiagnosisKey],
) -> Result<Vec<usize>, sqlx::Error> {
    let mut conflicts = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let visited = serde_json::to_string(&key.visited_countries).unwrap_or_default();
        let done = sqlx::query(
            "INSERT INTO gateway_keys (payload_hash, batch_id, position, key_data, \
             rolling_start_interval_number, rolling_period, transmission_risk_level, \
             visited_countries, origin, report_type, days_since_onset_of_symptoms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind(record_hash(key))
        .bind(id)
        .bind(i64::try_from(index).unwrap_or(i64::MAX))
        .bind(key.key_data.to_vec())
        .bind(i64::from(key.rolling_start_interval_number))
        .bind(i64::from(key.rolling_period))
        .bind(i64::from(key.transmission_risk_level))
        .bind(visited)
        .bind(&key.origin)
        .bind(i64::from(key.report_type))
        .bind(i64::from(key.days_since_onset_of_symptoms))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            conflicts.push(index);
        }
    }
    Ok(conflicts)
}

/// A stored batch.
pub(super) struct BatchRow {
    pub(super) id: i64,
    pub(super) tag: String,
    pub(super) date: String,
    pub(super) created_at: i64,
    pub(super) uploader: Uploader,
    pub(super) key_count: i64,
}

const BATCH_COLUMNS: &str = "id, tag, batch_date, created_at, uploader, upload_tag, \
    batch_signature, uploader_thumbprint, uploader_certificate, signer_thumbprint, \
    signer_certificate, key_count";

fn batch_row(row: &sqlx::any::AnyRow) -> Result<BatchRow, sqlx::Error> {
    Ok(BatchRow {
        id: row.try_get(0)?,
        tag: row.try_get(1)?,
        date: row.try_get(2)?,
        created_at: row.try_get(3)?,
        uploader: Uploader {
            country: row.try_get(4)?,
            upload_tag: row.try_get(5)?,
            signature: row.try_get(6)?,
            thumbprint: row.try_get(7)?,
            certificate: row.try_get(8)?,
            signer_thumbprint: row.try_get(9)?,
            signer_certificate: row.try_get(10)?,
        },
        key_count: row.try_get(11)?,
    })
}

/// The batch with the gateway's tag `tag`.
pub(super) async fn batch_by_tag(db: &Db, tag: &str) -> Result<Option<BatchRow>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM gateway_batches WHERE tag = $1"
    )))
    .bind(tag)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(batch_row).transpose()
}

/// The first batch of `date` with keys, and the one after `after` (by id).
pub(super) async fn next_batch(
    db: &Db,
    date: &str,
    after: i64,
) -> Result<Option<BatchRow>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM gateway_batches WHERE batch_date = $1 AND id > $2 \
         AND tag NOT LIKE 'pending-%' ORDER BY id LIMIT 1"
    )))
    .bind(date)
    .bind(after)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(batch_row).transpose()
}

/// The keys of one batch in upload order, each exactly as uploaded.
pub(super) async fn batch_keys(db: &Db, batch_id: i64) -> Result<Vec<DiagnosisKey>, sqlx::Error> {
    let mut rows = sqlx::query(
        "SELECT key_data, rolling_start_interval_number, rolling_period, transmission_risk_level, \
         visited_countries, origin, report_type, days_since_onset_of_symptoms \
         FROM gateway_keys WHERE batch_id = $1 ORDER BY position, id",
    )
    .bind(batch_id)
    .fetch(db.pool());
    let mut keys = Vec::new();
    let int = |value: i64| i32::try_from(value).unwrap_or(0);
    let unsigned = |value: i64| u32::try_from(value).unwrap_or(0);
    while let Some(row) = rows.try_next().await? {
        let data: Vec<u8> = row.try_get(0)?;
        let visited: String = row.try_get(4)?;
        keys.push(DiagnosisKey {
            key_data: data.into(),
            rolling_start_interval_number: unsigned(row.try_get(1)?),
            rolling_period: unsigned(row.try_get(2)?),
            transmission_risk_level: int(row.try_get(3)?),
            visited_countries: serde_json::from_str(&visited).unwrap_or_default(),
            origin: row.try_get(5)?,
            report_type: int(row.try_get(6)?),
            days_since_onset_of_symptoms: int(row.try_get(7)?),
        });
    }
    Ok(keys)
}
