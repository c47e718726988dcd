//! Issuing teleTANs, within the rate limits (SPEC section 2): a global
//! number per hour and one per portal user per interval. Both are counted in
//! the database by single atomic statements, so they hold across replicas,
//! and checked in the same transaction that stores the teleTAN, so a refused
//! attempt takes nothing.

use shared::verification::TeleTan;
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
    let batch = issue_batch(db, config, issuer, 1, now).await?;
    match (batch.teletans.into_iter().next(), batch.cut_short) {
        (Some(teletan), _) => Ok(teletan),
        (None, Some(error)) => Err(error),
        (None, None) => Err(IssueError::RateLimited {
            limit: "global",
            retry_after: 1,
        }),
    }
}

/// teleTANs of one batch, and what cut it short.
#[derive(Debug)]
pub struct Batch {
    /// The teleTANs issued, at least one.
    pub teletans: Vec<TeleTan>,
    /// Set when the global hourly limit stopped the batch before `count`.
    pub cut_short: Option<IssueError>,
}

/// Issues up to `count` teleTANs for `issuer` in one transaction. The
/// per-user interval counts the batch as one issue (checked once, nothing
/// issued when it applies); the global hourly limit counts every teleTAN,
/// so it may cut the batch short ([`Batch::cut_short`]). When not even one
/// can be issued, the error is returned and nothing is stored.
pub async fn issue_batch(
    db: &Db,
    config: &VerificationConfig,
    issuer: &str,
    count: u32,
    now: i64,
) -> Result<Batch, IssueError> {
    let mut tx = db.begin_write().await?;
    take_user_interval(&mut tx, config, issuer, now).await?;
    let window = now - now.rem_euclid(HOUR);
    let mut teletans = Vec::new();
    let mut cut_short = None;
    for _ in 0..count {
        if !take_global_unit(&mut tx, config, window).await? {
            cut_short = Some(global_limit(window, now));
            break;
        }
        let teletan = TeleTan::generate();
        sqlx::query("INSERT INTO teletans (hash, created_at, expires_at) VALUES ($1, $2, $3)")
            .bind(db.hash(&teletan).to_hex())
            .bind(now)
            .bind(now + config.teletan_validity)
            .execute(&mut *tx)
            .await?;
        teletans.push(teletan);
    }
    if teletans.is_empty() {
        // Dropping the transaction rolls back the per-user record.
        return Err(cut_short.unwrap_or_else(|| global_limit(window, now)));
    }
    let issued = i64::try_from(teletans.len()).unwrap_or(i64::MAX);
    crate::stats::bump(&mut *tx, crate::stats::Metric::TeleTans, issued, now).await?;
    tx.commit().await?;
    Ok(Batch {
        teletans,
        cut_short,
    })
}

/// Records an issue by `issuer` now, unless the per-user interval since its
/// last one has not passed: then the seconds to wait.
async fn take_user_interval(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    config: &VerificationConfig,
    issuer: &str,
    now: i64,
) -> Result<(), IssueError> {
    let interval = config.teletan_user_interval;
    let user_ok = sqlx::query(
        "INSERT INTO teletan_issuers (issuer, last_issued_at) VALUES ($1, $2) \
         ON CONFLICT (issuer) DO UPDATE SET last_issued_at = excluded.last_issued_at \
         WHERE teletan_issuers.last_issued_at <= $3",
    )
    .bind(issuer)
    .bind(now)
    .bind(now - interval)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if user_ok {
        return Ok(());
    }
    let last: i64 = sqlx::query("SELECT last_issued_at FROM teletan_issuers WHERE issuer = $1")
        .bind(issuer)
        .fetch_one(&mut **tx)
        .await?
        .try_get("last_issued_at")?;
    Err(IssueError::RateLimited {
        limit: "per-user",
        retry_after: seconds_until(last + interval, now),
    })
}

/// Takes one unit of the global hourly limit in the window starting at
/// `window` (one atomic statement, as a single issue does); `false` when
/// the hour's limit is used up.
async fn take_global_unit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    config: &VerificationConfig,
    window: i64,
) -> Result<bool, sqlx::Error> {
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
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| row.try_get("used"))
    .transpose()?;
    let Some(used) = used else {
        return Ok(false);
    };
    if used * 5 == limit * 4 {
        tracing::warn!(used, limit, "80% of the hourly teleTAN limit is used");
    }
    Ok(true)
}

/// The global limit's answer in the hour starting at `window`.
fn global_limit(window: i64, now: i64) -> IssueError {
    IssueError::RateLimited {
        limit: "global",
        retry_after: seconds_until(window + HOUR, now),
    }
}

fn seconds_until(moment: i64, now: i64) -> u64 {
    u64::try_from(moment - now).unwrap_or(0).max(1)
}
