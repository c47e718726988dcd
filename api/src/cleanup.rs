//! The hourly clean-up (SPEC section 10): data is deleted on schedule.
//!
//! - registrations and teleTANs after 21 days, rate-limit records after a day;
//! - TANs when they expire (14 days);
//! - test results become redeemed after 21 days and are deleted after 60;
//! - portal sessions once they are idle or old past the configured limits
//!   (the log-in check refuses them already; this removes the rows).
//!
//! The daily statistics (`daily_counts`) are counts without any personal
//! data and are kept.

use std::time::Duration;

use crate::config::PortalConfig;
use crate::db::Db;

const DAY: i64 = 24 * 3600;
/// Verification data is kept this long.
pub const VERIFICATION_RETENTION: i64 = 21 * DAY;
/// A test result is redeemed after this long.
pub const RESULT_REDEEM_AFTER: i64 = 21 * DAY;
/// A test result is deleted after this long.
pub const RESULT_RETENTION: i64 = 60 * DAY;
/// Rows each step changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanupReport {
    /// Registrations deleted.
    pub registrations: u64,
    /// teleTANs deleted.
    pub teletans: u64,
    /// Per-user teleTAN records and rate-limit windows deleted.
    pub rate_limits: u64,
    /// Expired TANs deleted.
    pub tans: u64,
    /// Test results marked redeemed.
    pub results_redeemed: u64,
    /// Test results deleted.
    pub results_deleted: u64,
    /// Expired portal sessions deleted.
    pub sessions: u64,
}

/// Runs every step once, as of `now`; `portal` gives the session limits.
pub async fn run_once(
    db: &Db,
    portal: &PortalConfig,
    now: i64,
) -> Result<CleanupReport, sqlx::Error> {
    let pool = db.pool();
    let before = |age: i64| now - age;
    let delete = |sql: &'static str, bound: i64| async move {
        sqlx::query(sql)
            .bind(bound)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    };
    Ok(CleanupReport {
        registrations: delete(
            "DELETE FROM registrations WHERE created_at < $1",
            before(VERIFICATION_RETENTION),
        )
        .await?,
        teletans: delete(
            "DELETE FROM teletans WHERE created_at < $1",
            before(VERIFICATION_RETENTION),
        )
        .await?,
        rate_limits: delete(
            "DELETE FROM teletan_issuers WHERE last_issued_at < $1",
            before(DAY),
        )
        .await?
            + delete(
                "DELETE FROM rate_limit_windows WHERE window_start < $1",
                before(DAY),
            )
            .await?,
        tans: delete("DELETE FROM tans WHERE expires_at <= $1", now).await?,
        results_redeemed: delete(
            "UPDATE test_results SET result = 4 WHERE result <> 4 AND created_at < $1",
            before(RESULT_REDEEM_AFTER),
        )
        .await?,
        results_deleted: delete(
            "DELETE FROM test_results WHERE created_at < $1",
            before(RESULT_RETENTION),
        )
        .await?,
        sessions: portal_sessions(db, portal, now)
            .await
            .map_err(|error| match error {
                crate::error::AppError::Database(error) => error,
                other => sqlx::Error::Protocol(other.to_string()),
            })?,
    })
}

/// Expired portal sessions, and with them the per-name log-in counters
/// that no longer matter; the sessions deleted.
async fn portal_sessions(
    db: &Db,
    portal: &PortalConfig,
    now: i64,
) -> Result<u64, crate::error::AppError> {
    let deleted = crate::portal::sessions::delete_expired(db, portal, now).await?;
    crate::portal::accounts::delete_stale_throttles(db, now).await?;
    Ok(deleted)
}

/// Runs the clean-up now and then every `period`, until the task is aborted.
pub async fn run_every(db: Db, portal: PortalConfig, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match run_once(&db, &portal, crate::clock::now()).await {
            Ok(report) => tracing::info!(?report, "clean-up done"),
            Err(error) => tracing::warn!(%error, "clean-up failed; retrying at the next run"),
        }
    }
}
