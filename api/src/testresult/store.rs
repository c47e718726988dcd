//! Queries of the test result service.

use shared::verification::SecretHash;
use shared::verification::wire::{AppResultResponse, TestResult};
use sqlx::Row;

use crate::db::Db;
use crate::error::AppError;

/// One result to store.
#[derive(Debug, Clone)]
pub struct NewResult {
    /// SHA-256 of the hashed GUID.
    pub id_hash: SecretHash,
    /// 1 to 3.
    pub result: TestResult,
    /// Sample collection time.
    pub sample_collected_at: Option<i64>,
}

/// Who stored a result. The lab that first reports a test's result owns it;
/// another lab's report for the same id is refused (issue 15 point 8: the
/// official test result service lets any lab overwrite any result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A lab with an API key (its row in `labs`; a new key is a new lab).
    ApiLab(i64),
    /// A portal user with the lab role.
    PortalUser(String),
}

impl Owner {
    /// The stored form: `lab:<id>` or `user:<name>`.
    fn column(&self) -> String {
        match self {
            Self::ApiLab(id) => format!("lab:{id}"),
            Self::PortalUser(name) => format!("user:{name}"),
        }
    }
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// Result `index` of the upload has an id whose result another lab
    /// reported; nothing of the upload is stored.
    #[error(
        "result {0}: another lab reported the result of this test; it stays as that lab reported it, and nothing of this upload was stored"
    )]
    OwnedByAnotherLab(usize),
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<UpsertError> for AppError {
    fn from(error: UpsertError) -> Self {
        match error {
            UpsertError::OwnedByAnotherLab(_) => {
                AppError::bad_request("result_of_another_lab", error.to_string())
            }
            UpsertError::Database(error) => AppError::Database(error),
        }
    }
}

/// Inserts or updates results in one transaction, all or nothing: a
/// redeemed result is never changed, and a result another lab owns refuses
/// the whole upload. Returns how many were stored (and counts the positive
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
    owner: &Owner,
    results: &[NewResult],
    now: i64,
) -> Result<u64, UpsertError> {
    let owner = owner.column();
    let mut tx = db.begin_write().await?;
    let mut stored = 0;
    let mut positive = 0;
    for (index, result) in results.iter().enumerate() {
        let row = ResultRow {
            result,
            lab,
            owner: &owner,
            now,
        };
        let changed = row.change(&mut tx).await?;
        let refreshed = if changed > 0 {
            0
        } else {
            row.refresh(&mut tx).await?
        };
        if changed + refreshed == 0 && row.owned_by_another_lab(&mut tx).await? {
            return Err(UpsertError::OwnedByAnotherLab(index));
        }
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

/// One result of an upload, as the steps of [`upsert`] write it.
struct ResultRow<'a> {
    result: &'a NewResult,
    lab: &'a str,
    owner: &'a str,
    now: i64,
}

type Transaction = sqlx::Transaction<'static, sqlx::Any>;
type Query<'q> = sqlx::query::Query<'q, sqlx::Any, <sqlx::Any as sqlx::Database>::Arguments>;

impl ResultRow<'_> {
    /// Inserts, or changes a different result of no owner or this owner;
    /// the rows changed. The condition is checked on the row as locked by
    /// the upsert, so two uploads of the same result at once change it (and
    /// count it) once, and two labs at once cannot both own it.
    async fn change(&self, tx: &mut Transaction) -> Result<u64, sqlx::Error> {
        self.bind(sqlx::query(
            "INSERT INTO test_results (id_hash, result, sample_collected_at, lab_id, owner, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (id_hash) DO UPDATE SET result = excluded.result, \
                 sample_collected_at = excluded.sample_collected_at, lab_id = excluded.lab_id, \
                 owner = excluded.owner, updated_at = excluded.updated_at \
             WHERE test_results.result <> 4 AND test_results.result <> excluded.result \
                 AND (test_results.owner IS NULL OR test_results.owner = excluded.owner)",
        ))
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
    }

    /// The same result again: refreshes the sample time and the lab; a lab
    /// result (1 to 3) never matches a redeemed one (4), which stays as it is.
    async fn refresh(&self, tx: &mut Transaction) -> Result<u64, sqlx::Error> {
        self.bind(sqlx::query(
            "UPDATE test_results SET sample_collected_at = $3, lab_id = $4, owner = $5, updated_at = $6 \
             WHERE id_hash = $1 AND result = $2 AND (owner IS NULL OR owner = $5)",
        ))
        .execute(&mut **tx)
        .await
        .map(|done| done.rows_affected())
    }

    /// Whether a result neither changed nor refreshed belongs to another
    /// lab (then nothing of the upload is kept); a redeemed one is left
    /// alone whoever owns it.
    async fn owned_by_another_lab(&self, tx: &mut Transaction) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT result, owner FROM test_results WHERE id_hash = $1")
            .bind(self.result.id_hash.to_hex())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let stored_result: i64 = row.try_get("result")?;
        let stored_owner: Option<String> = row.try_get("owner")?;
        Ok(stored_result != 4 && stored_owner.is_some_and(|other| other != self.owner))
    }

    /// Binds `$1` to `$6`: id hash, result, sample time, lab, owner, now.
    fn bind<'q>(&'q self, query: Query<'q>) -> Query<'q> {
        query
            .bind(self.result.id_hash.to_hex())
            .bind(i64::from(self.result.result.code()))
            .bind(self.result.sample_collected_at)
            .bind(self.lab)
            .bind(self.owner)
            .bind(self.now)
    }
}

/// Creates a pending entry under `id_hash` unless there is one.
pub async fn create_pending<'e, E>(
    executor: E,
    id_hash: &SecretHash,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO test_results (id_hash, result, created_at, updated_at) \
         VALUES ($1, 0, $2, $2) ON CONFLICT (id_hash) DO NOTHING",
    )
    .bind(id_hash.to_hex())
    .bind(now)
    .execute(executor)
    .await
    .map(|_| ())
}

/// The result under `id_hash`, creating a pending entry when there is none.
pub async fn get_or_create(
    db: &Db,
    id_hash: &SecretHash,
    now: i64,
) -> Result<AppResultResponse, sqlx::Error> {
    // Phones poll far more often than tests are created: read first, so a
    // poll is one read (no write lock on SQLite); insert only when missing.
    let select = "SELECT result, sample_collected_at, lab_id FROM test_results WHERE id_hash = $1";
    let found = sqlx::query(select)
        .bind(id_hash.to_hex())
        .fetch_optional(db.pool())
        .await?;
    let row = match found {
        Some(row) => row,
        None => {
            create_pending(db.writer(), id_hash, now).await?;
            sqlx::query(select)
                .bind(id_hash.to_hex())
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
