//! Queries of the test result service.

use shared::verification::wire::{AppResultResponse, TestResult};
use sqlx::Row;

use crate::db::Db;

/// One result to store.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// SHA-256 of the hashed GUID.
    pub id_hash: String,
    /// 1 to 3.
    pub result: TestResult,
    /// Sample collection time.
    pub sample_collected_at: Option<i64>,
}

/// Inserts or updates results in one transaction; a redeemed result is
/// never changed. Returns how many were stored (and counts the positive
/// ones in the daily statistics).
///
/// A result is counted as positive when it becomes positive: a new row, or
/// a stored pending, negative or invalid result changed to positive. The
/// same result uploaded again (also twice in one upload) refreshes the
/// sample time and the lab but is not counted again; a redeemed result is
/// left alone and not counted.
pub async fn upsert(
    db: &Db,
    lab: &str,
    results: &[NewResult],
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    let mut stored = 0;
    let mut positive = 0;
    for result in results {
        let code = i64::from(result.result.code());
        // Inserts, or changes a different result. The condition is checked
        // on the row as locked by the upsert, so two uploads of the same
        // result at once change it (and count it) once.
        let changed = sqlx::query(
            "INSERT INTO test_results (id_hash, result, sample_collected_at, lab_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (id_hash) DO UPDATE SET result = excluded.result, \
                 sample_collected_at = excluded.sample_collected_at, lab_id = excluded.lab_id, \
                 updated_at = excluded.updated_at \
             WHERE test_results.result <> 4 AND test_results.result <> excluded.result",
        )
        .bind(&result.id_hash)
        .bind(code)
        .bind(result.sample_collected_at)
        .bind(lab)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let refreshed = if changed > 0 {
            0
        } else {
            // The same result again; a lab result (1 to 3) never matches a
            // redeemed one (4), which stays as it is.
            sqlx::query(
                "UPDATE test_results SET sample_collected_at = $3, lab_id = $4, updated_at = $5 \
                 WHERE id_hash = $1 AND result = $2",
            )
            .bind(&result.id_hash)
            .bind(code)
            .bind(result.sample_collected_at)
            .bind(lab)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        stored += changed + refreshed;
        if result.result == TestResult::Positive {
            positive += changed;
        }
    }
    let positive = i64::try_from(positive).unwrap_or(i64::MAX);
    crate::stats::bump(
        &mut *tx,
        crate::stats::Metric::PositiveResults,
        positive,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// Creates a pending entry under `id_hash` unless there is one.
pub async fn create_pending<'e, E>(executor: E, id_hash: &str, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO test_results (id_hash, result, created_at, updated_at) \
         VALUES ($1, 0, $2, $2) ON CONFLICT (id_hash) DO NOTHING",
    )
    .bind(id_hash)
    .bind(now)
    .execute(executor)
    .await
    .map(|_| ())
}

/// The result under `id_hash`, creating a pending entry when there is none.
pub async fn get_or_create(
    db: &Db,
    id_hash: &str,
    now: i64,
) -> Result<AppResultResponse, sqlx::Error> {
    // Phones poll far more often than tests are created: read first, so a
    // poll is one read (no write lock on SQLite); insert only when missing.
    let select = "SELECT result, sample_collected_at, lab_id FROM test_results WHERE id_hash = $1";
    let found = sqlx::query(select)
        .bind(id_hash)
        .fetch_optional(db.pool())
        .await?;
    let row = match found {
        Some(row) => row,
        None => {
            create_pending(db.writer(), id_hash, now).await?;
            sqlx::query(select)
                .bind(id_hash)
                .fetch_one(db.pool())
                .await?
        }
    };
    let code: i64 = row.try_get("result")?;
    let test_result = u8::try_from(code)
        .ok()
        .and_then(|code| TestResult::try_from(code).ok())
        .ok_or_else(|| {
            sqlx::Error::Decode(format!("stored test result {code} out of range").into())
        })?;
    Ok(AppResultResponse {
        test_result,
        sc: row.try_get("sample_collected_at")?,
        lab_id: row.try_get("lab_id")?,
    })
}
