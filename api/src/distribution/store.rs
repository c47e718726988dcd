//! Queries of the distribution: the keys to publish, the deletion of keys
//! past the window, the record of each run, and the run lock for stores
//! that have none of their own.

use futures_util::TryStreamExt;
use shared::keys::{DiagnosisKey, ReportType};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::plan::Plannable;
use crate::config::CountryCode;
use crate::db::{Backend, Db};

/// Key of the PostgreSQL advisory lock that orders the runs (`warndist`).
const RUN_LOCK_KEY: i64 = 0x7761_726e_6469_7374;
/// The file whose lock orders the runs on SQLite, in the data folder.
const RUN_LOCK_FILE: &str = ".distribution.lock";

/// Holds the run lock of the database; dropping it releases the lock.
#[derive(Debug)]
pub struct DbRunLock {
    /// On PostgreSQL: the connection whose session holds the advisory lock.
    connection: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    /// On SQLite: the locked file.
    _file: Option<std::fs::File>,
}

impl Drop for DbRunLock {
    fn drop(&mut self) {
        // Closing the session releases its advisory lock; the pool opens
        // another connection when it needs one.
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}

/// Takes the lock that lets one distribution run at a time write to a store
/// without a lock of its own (S3), waiting while another process holds it.
/// Every process that shares the database shares the lock: a PostgreSQL
/// advisory lock, or on SQLite (one machine) a file lock in `data_dir`.
pub async fn lock_runs(db: &Db, data_dir: &std::path::Path) -> Result<DbRunLock, sqlx::Error> {
    match db.backend() {
        Backend::Postgres => {
            let mut connection = db.pool().acquire().await?;
            sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_lock($1)) AS taken")
                .bind(RUN_LOCK_KEY)
                .execute(&mut *connection)
                .await?;
            Ok(DbRunLock {
                connection: Some(connection),
                _file: None,
            })
        }
        Backend::Sqlite => {
            let path = data_dir.join(RUN_LOCK_FILE);
            let file = tokio::task::spawn_blocking(move || {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(path)?;
                file.lock()?;
                Ok::<_, std::io::Error>(file)
            })
            .await
            .map_err(|error| sqlx::Error::Io(std::io::Error::other(error)))?
            .map_err(sqlx::Error::Io)?;
            Ok(DbRunLock {
                connection: None,
                _file: Some(file),
            })
        }
    }
}

/// A key as the distribution reads it: only what a bundle carries, and its hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey {
    /// The key.
    pub key: DiagnosisKey,
    /// Unix hour from which it may be published.
    pub distributable_hour: i64,
    /// ISO 3166 alpha-2 code of the country whose user submitted it (a
    /// foreign country for keys that came through the federation gateway).
    pub origin: [u8; 2],
    /// The countries visited, comma-separated, sorted.
    pub visited: Box<str>,
}

impl PublishableKey {
    /// Whether the key came from another country.
    pub fn is_foreign(&self, home: CountryCode) -> bool {
        self.origin != home.as_bytes()
    }

    /// Whether the user visited `country`.
    pub fn visited(&self, country: &str) -> bool {
        self.visited.split(',').any(|code| code == country)
    }
}

impl Plannable for PublishableKey {
    fn key_data(&self) -> &[u8; 16] {
        &self.key.key_data
    }
    fn distributable_hour(&self) -> i64 {
        self.distributable_hour
    }
}

/// Why stored keys could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The database failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A stored row is out of range (the submission checks every field, so
    /// this means the table was written by something else).
    #[error("stored key out of range: {0}")]
    Key(String),
}

/// The columns [`key_of_row`] reads, in its order, to put first in a
/// `SELECT` of `diagnosis_keys d` (a literal, so queries stay static text).
macro_rules! key_columns {
    () => {
        "d.key_data, d.rolling_start_interval_number, d.rolling_period, \
         d.transmission_risk_level, d.report_type, d.days_since_onset_of_symptoms"
    };
}
pub(crate) use key_columns;

/// The key of a `diagnosis_keys` row whose first columns are
/// `key_columns!()`; a value out of range is an error, never a default.
pub(crate) fn key_of_row(row: &AnyRow) -> Result<DiagnosisKey, ReadError> {
    let data: &[u8] = row.try_get(0)?;
    let key_data: [u8; 16] = data
        .try_into()
        .map_err(|_| ReadError::Key(format!("key data of {} bytes", data.len())))?;
    let report_type: i64 = row.try_get(4)?;
    let report_type = i32::try_from(report_type)
        .map_err(|_| ReadError::Key(format!("report type {report_type}")))?;
    let onset: Option<i64> = row.try_get(5)?;
    let onset = onset
        .map(|days| {
            i32::try_from(days).map_err(|_| ReadError::Key(format!("days since onset {days}")))
        })
        .transpose()?;
    DiagnosisKey::new(shared::keys::KeyFields {
        key_data,
        transmission_risk_level: row.try_get(3)?,
        rolling_start_interval_number: row.try_get(1)?,
        rolling_period: row.try_get(2)?,
        report_type: ReportType::from_code(report_type),
        days_since_onset_of_symptoms: onset,
    })
    .map_err(|error| ReadError::Key(error.to_string()))
}

/// Every key that may be published before hour `until` (exclusive), in
/// key-data order. Streams the rows and reads only the columns a bundle needs.
pub async fn publishable_keys(db: &Db, until: i64) -> Result<Vec<PublishableKey>, ReadError> {
    let mut rows = sqlx::query(concat!(
        "SELECT ",
        key_columns!(),
        ", d.distributable_hour, d.origin_country, d.visited_countries \
         FROM diagnosis_keys d WHERE d.distributable_hour <= $1"
    ))
    .bind(until)
    .fetch(db.pool());
    let mut keys = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let key = key_of_row(&row)?;
        let origin: &str = row.try_get(7)?;
        let origin: [u8; 2] = origin
            .as_bytes()
            .try_into()
            .map_err(|_| ReadError::Key(format!("origin country {origin:?}")))?;
        let visited: &str = row.try_get(8)?;
        keys.push(PublishableKey {
            key,
            distributable_hour: row.try_get(6)?,
            origin,
            visited: visited.into(),
        });
    }
    Ok(keys)
}

/// Deletes the keys whose hourly bundle lies before `window_start_hour`
/// (they have left the 14-day window); returns how many.
pub async fn delete_expired_keys(db: &Db, window_start_hour: i64) -> Result<u64, sqlx::Error> {
    // A key belongs to the hour before its distributable hour.
    sqlx::query("DELETE FROM diagnosis_keys WHERE distributable_hour <= $1")
        .bind(window_start_hour)
        .execute(db.pool())
        .await
        .map(|done| done.rows_affected())
}

/// The id of the latest finished run, 0 before the first: the signal by
/// which `warn serve` notices the runs of other processes.
pub async fn latest_finished_run(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COALESCE(MAX(id), 0) AS id FROM distribution_runs WHERE finished_at IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await?
    .try_get("id")
}

/// Records the start of a run; returns its id.
pub async fn start_run(db: &Db, started_at: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("INSERT INTO distribution_runs (started_at) VALUES ($1) RETURNING id")
        .bind(started_at)
        .fetch_one(db.pool())
        .await?
        .try_get("id")
}

/// Records the end of a run (and counts its bundles in the daily statistics).
pub async fn finish_run(
    db: &Db,
    id: i64,
    finished_at: i64,
    bundles_written: u64,
    keys_published: u64,
) -> Result<(), sqlx::Error> {
    let bundles = i64::try_from(bundles_written).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE distribution_runs SET finished_at = $1, bundles_written = $2, \
         keys_published = $3 WHERE id = $4",
    )
    .bind(finished_at)
    .bind(bundles)
    .bind(i64::try_from(keys_published).unwrap_or(i64::MAX))
    .bind(id)
    .execute(db.pool())
    .await?;
    crate::stats::bump(
        db.pool(),
        crate::stats::Metric::BundlesPublished,
        bundles,
        finished_at,
    )
    .await
}
