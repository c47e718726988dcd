//! Daily counters for the portal's statistics: teleTANs issued,
//! registrations, positive results, keys submitted, bundles published. Each
//! is incremented where its event happens, in the same transaction where
//! there is one, so the count is exactly what was stored. Only numbers per
//! UTC day: no GUID, no token, no key, no time finer than the day. The
//! clean-up leaves these rows alone, so the history outlives the data.

use shared::portal::DayStats;
use sqlx::{Any, Executor, Row};

use crate::db::Db;

const DAY: i64 = 24 * 3600;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// teleTANs issued by the portal.
    TeleTans,
    /// Registration tokens handed out (from a GUID or a teleTAN).
    Registrations,
    /// Positive results stored (lab API and portal upload).
    PositiveResults,
    /// Diagnosis keys stored (new keys only).
    KeysSubmitted,
    /// Bundle files a distribution run wrote.
    BundlesPublished,
}

impl Metric {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TeleTans => "teletans",
            Self::Registrations => "registrations",
            Self::PositiveResults => "positive_results",
            Self::KeysSubmitted => "keys_submitted",
            Self::BundlesPublished => "bundles_published",
        }
    }
}

/// Unix seconds of 00:00 UTC of the day of `now`.
pub fn day_of(now: i64) -> i64 {
    now - now.rem_euclid(DAY)
}

/// Adds `count` to today's `metric` (nothing when `count` is 0).
pub async fn bump<'e, E>(
    executor: E,
    metric: Metric,
    count: i64,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    if count <= 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO daily_counts (day, metric, count) VALUES ($1, $2, $3) \
         ON CONFLICT (day, metric) DO UPDATE SET count = daily_counts.count + excluded.count",
    )
    .bind(day_of(now))
    .bind(metric.as_str())
    .bind(count)
    .execute(executor)
    .await
    .map(|_| ())
}

/// The `days` days up to and including today, oldest first; a day without
/// events is in the list with zeros.
pub async fn daily(db: &Db, days: i64, now: i64) -> Result<Vec<DayStats>, sqlx::Error> {
    let today = day_of(now);
    let first = today - (days.max(1) - 1) * DAY;
    let mut out: Vec<DayStats> = (0..days.max(1))
        .map(|index| DayStats {
            day: first + index * DAY,
            ..DayStats::default()
        })
        .collect();
    let rows =
        sqlx::query("SELECT day, metric, count FROM daily_counts WHERE day >= $1 AND day <= $2")
            .bind(first)
            .bind(today)
            .fetch_all(db.pool())
            .await?;
    for row in rows {
        let day: i64 = row.try_get("day")?;
        let metric: String = row.try_get("metric")?;
        let count: i64 = row.try_get("count")?;
        let Some(entry) = usize::try_from((day - first) / DAY)
            .ok()
            .and_then(|index| out.get_mut(index))
        else {
            continue;
        };
        let field = match metric.as_str() {
            "teletans" => &mut entry.teletans,
            "registrations" => &mut entry.registrations,
            "positive_results" => &mut entry.positive_results,
            "keys_submitted" => &mut entry.keys_submitted,
            "bundles_published" => &mut entry.bundles_published,
            _ => continue,
        };
        *field += count;
    }
    Ok(out)
}
