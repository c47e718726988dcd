//! Issuing teleTANs, within the rate limits (SPEC section 2): a global
//! number per hour and one per portal user per interval. Both are counted in
//! the database by single atomic statements, so they hold across replicas,
//! and checked in the same transaction that stores the teleTAN, so a refused
//! attempt takes nothing.

use shared::verification::{Secret, TeleTan};
use sqlx::Row;

use super::VerificationConfig;
use crate::db::Db;
use crate::error::AppError;

/// Scope of the global hourly teleTAN limit.
const GLOBAL_SCOPE: &str = "teletan";
const HOUR: i64 = 3600;

/// Why no teleTAN was issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// A rate limit applies; the next attempt may succeed after `retry_after` seconds.
    #[error("{limit} rate limit reached; next teleTAN possible in {retry_after} s")]
    RateLimited {
        /// Which limit: "per-user" or "global".
        limit: &'static str,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<IssueError> for AppError {
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::RateLimited { retry_after, .. } => {
                AppError::TooManyRequests { retry_after }
            }
            IssueError::Database(error) => AppError::Database(error),
        }
    }
}

/// Issues and stores a new teleTAN for `issuer` (a portal user's name),
/// valid for the configured time.
pub async fn issue(
    db: &Db,
    config: &VerificationConfig,
    issuer: &str,
    now: i64,
) -> Result<TeleTan, IssueError> {
    let mut tx = db.writer().begin().await?;

    let interval = config.teletan_user_interval;
    let user_ok = sqlx::query(
        "INSERT INTO teletan_issuers (issuer, last_issued_at) VALUES ($1, $2) \
         ON CONFLICT (issuer) DO UPDATE SET last_issued_at = excluded.last_issued_at \
         WHERE teletan_issuers.last_issued_at <= $3",
    )
    .bind(issuer)
    .bind(now)
    .bind(now - interval)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !user_ok {
        let last: i64 = sqlx::query("SELECT last_issued_at FROM teletan_issuers WHERE issuer = $1")
            .bind(issuer)
            .fetch_one(&mut *tx)
            .await?
            .try_get("last_issued_at")?;
        return Err(IssueError::RateLimited {
            limit: "per-user",
            retry_after: seconds_until(last + interval, now),
        });
    }

    let window = now - now.rem_euclid(HOUR);
    let limit = config.teletan_global_per_hour;
    let used: Option<i64> = sqlx::query(
        "INSERT INTO rate_limit_windows (scope, window_start, used) VALUES ($1, $2, 1) \
         ON CONFLICT (scope, window_start) DO UPDATE SET used = rate_limit_windows.used + 1 \
         WHERE rate_limit_windows.used < $3 \
         RETURNING used",
    )
    .bind(GLOBAL_SCOPE)
    .bind(window)
    .bind(limit)
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| row.try_get("used"))
    .transpose()?;
    let Some(used) = used else {
        return Err(IssueError::RateLimited {
            limit: "global",
            retry_after: seconds_until(window + HOUR, now),
        });
    };
    if used * 5 == limit * 4 {
        tracing::warn!(used, limit, "80% of the hourly teleTAN limit is used");
    }

    let teletan = TeleTan::generate();
    sqlx::query("INSERT INTO teletans (hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(teletan.secret_hash().to_hex())
        .bind(now)
        .bind(now + config.teletan_validity)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(teletan)
}

fn seconds_until(moment: i64, now: i64) -> u64 {
    u64::try_from(moment - now).unwrap_or(0).max(1)
}
