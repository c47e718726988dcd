//! Queries of the submission service.

use shared::verification::SecretHash;

use super::StoredKey;
use crate::db::Db;

/// Columns of `diagnosis_keys`, in the order of [`insert_statement`].
const COLUMNS: usize = 12;
/// Rows per `INSERT` statement: 12 parameters each stays well under the
/// parameter limits of SQLite (32,766) and PostgreSQL (65,535).
const ROWS_PER_STATEMENT: usize = 500;

/// Stores `keys` in one transaction; a key whose key data is stored already
/// is skipped (a phone may upload the same key twice). Returns how many
/// keys were new (and counts them in the daily statistics).
pub async fn insert_keys(db: &Db, keys: &[StoredKey]) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let inserted = insert_in(&mut tx, keys).await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Burns the TAN stored under `tan_hash` and stores `keys`, in one
/// transaction: either both happen or neither (a failed insert leaves the
/// TAN valid). `None` when the TAN is unknown, expired, used or reserved.
pub async fn insert_keys_spending_tan(
    db: &Db,
    tan_hash: &SecretHash,
    keys: &[StoredKey],
    now: i64,
) -> Result<Option<u64>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if !crate::verification::store::burn_tan_in(&mut *tx, tan_hash, now).await? {
        return Ok(None);
    }
    let inserted = insert_in(&mut tx, keys).await?;
    tx.commit().await?;
    Ok(Some(inserted))
}

async fn insert_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    keys: &[StoredKey],
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_statement(chunk.len());
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for stored in chunk {
            let key = &stored.key;
            query = query
                .bind(key.key_data.to_vec())
                .bind(i64::from(key.rolling_start_interval_number))
                .bind(i64::from(key.rolling_period))
                .bind(i64::from(key.transmission_risk_level))
                .bind(i64::from(key.report_type.code()))
                .bind(key.days_since_onset_of_symptoms.map(i64::from))
                .bind(stored.origin_country.clone())
                .bind(stored.visited_countries.join(","))
                .bind(i64::from(stored.consent_to_federation))
                .bind(i64::from(stored.submission_type))
                .bind(stored.submitted_hour)
                .bind(stored.distributable_hour);
        }
        inserted += query.execute(&mut **tx).await?.rows_affected();
    }
    if let Some(first) = keys.first() {
        let count = i64::try_from(inserted).unwrap_or(i64::MAX);
        let now = first.submitted_hour * 3600;
        crate::stats::bump(&mut **tx, crate::stats::Metric::KeysSubmitted, count, now).await?;
    }
    Ok(inserted)
}

/// `INSERT ... VALUES ($1, ..., $12), ($13, ...) ON CONFLICT DO NOTHING` for
/// `rows` rows, numbered placeholders being what both databases accept.
fn insert_statement(rows: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::from(
        "INSERT INTO diagnosis_keys (key_data, rolling_start_interval_number, rolling_period, \
         transmission_risk_level, report_type, days_since_onset_of_symptoms, origin_country, \
         visited_countries, consent_to_federation, submission_type, submitted_hour, \
         distributable_hour) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            let separator = if column == 0 { "" } else { ", " };
            let _ = write!(sql, "{separator}${}", row * COLUMNS + column + 1);
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    sql
}
