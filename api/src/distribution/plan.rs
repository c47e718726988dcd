//! The assembly as a pure function: keys in, plan out.
//!
//! - The hourly bundle of hour `H` (unix hour) holds the keys whose
//!   `distributable_hour` is at most `H + 1` and that no earlier hour took;
//!   it exists once hour `H` is over. Its timestamps are the hour.
//! - An hour whose keys (its own plus those carried forward) number fewer
//!   than the threshold carries them all to the next hour and gets a bundle
//!   with no keys.
//! - Every complete hour of the window gets a bundle, empty ones included.
//!   The window is the 14 complete UTC days before today plus today's
//!   complete hours; today has an hour index but no daily bundle yet.
//! - The daily bundle of a day holds the union of its hourly bundles.
//! - A bundle over the per-file limit is split into equal parts of
//!   consecutive keys in key-data order.

/// Seconds in an hour.
pub const HOUR: i64 = 3600;
/// Hours in a day.
pub const HOURS_PER_DAY: i64 = 24;
/// Complete days a bundle (and a key) is kept.
pub const RETENTION_DAYS: i64 = 14;

/// What the plan needs of a key: its data (for sorting) and the hour from
/// which it may be published.
pub trait Plannable {
    /// The 16 key bytes.
    fn key_data(&self) -> &[u8; 16];
    /// Unix hour at whose start the key may first be published.
    fn distributable_hour(&self) -> i64;
}

/// Rules of one assembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRules {
    /// Unix seconds of the run.
    pub now: i64,
    /// Fewest keys an hourly bundle may carry; fewer are carried forward.
    pub min_keys: usize,
}

/// One complete hour and the keys (indices into the input) of its bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourPlan {
    /// Unix hour.
    pub hour: i64,
    /// Indices of its keys, sorted by key data.
    pub keys: Vec<usize>,
}

/// One day of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    /// Unix day (seconds / 86,400).
    pub day: i64,
    /// Whether the day is over (it then has a daily bundle and is listed
    /// in the date index).
    pub complete: bool,
    /// Its complete hours, in order.
    pub hours: Vec<HourPlan>,
}

impl DayPlan {
    /// Indices of the keys of the daily bundle (the union of its hours),
    /// sorted by key data.
    pub fn keys<K: Plannable>(&self, keys: &[K]) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .hours
            .iter()
            .flat_map(|hour| hour.keys.iter().copied())
            .collect();
        sort_by_key_data(&mut all, keys);
        all
    }
}

/// The outcome of planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// First hour of the window.
    pub window_start_hour: i64,
    /// The hour in progress (not published).
    pub current_hour: i64,
    /// Days of the window, oldest first; the last is today (incomplete).
    pub days: Vec<DayPlan>,
    /// Eligible keys held back because the last hours stayed under the threshold.
    pub carried: usize,
    /// Keys not yet eligible (their hour is not over).
    pub waiting: usize,
    /// Keys whose hour lies before the window (to be deleted).
    pub expired: usize,
}

/// Unix hour of `now` (seconds), rounded down.
pub fn hour_of(now: i64) -> i64 {
    now.div_euclid(HOUR)
}

/// First hour of the window that a run at `now` publishes.
pub fn window_start_hour(now: i64) -> i64 {
    (hour_of(now).div_euclid(HOURS_PER_DAY) - RETENTION_DAYS) * HOURS_PER_DAY
}

/// Plans the hourly and daily bundles of one region from `keys`.
pub fn plan<K: Plannable>(keys: &[K], rules: &PlanRules) -> Plan {
    let current_hour = hour_of(rules.now);
    let start = window_start_hour(rules.now);
    let hours = usize::try_from(current_hour - start).unwrap_or(0);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); hours];
    let (mut waiting, mut expired) = (0, 0);
    for (index, key) in keys.iter().enumerate() {
        // The hour whose bundle a key first belongs to ends when it becomes distributable.
        let hour = key.distributable_hour() - 1;
        if hour < start {
            expired += 1;
        } else if hour >= current_hour {
            waiting += 1;
        } else {
            buckets[(hour - start) as usize].push(index);
        }
    }
    let mut pending: Vec<usize> = Vec::new();
    let mut days: Vec<DayPlan> = Vec::new();
    for (offset, bucket) in buckets.into_iter().enumerate() {
        let hour = start + offset as i64;
        pending.extend(bucket);
        let mut hour_keys = Vec::new();
        if !pending.is_empty() && pending.len() >= rules.min_keys {
            hour_keys = std::mem::take(&mut pending);
            sort_by_key_data(&mut hour_keys, keys);
        }
        let day = hour.div_euclid(HOURS_PER_DAY);
        if days.last().is_none_or(|last| last.day != day) {
            days.push(DayPlan {
                day,
                complete: true,
                hours: Vec::new(),
            });
        }
        if let Some(last) = days.last_mut() {
            last.hours.push(HourPlan {
                hour,
                keys: hour_keys,
            });
        }
    }
    let today = current_hour.div_euclid(HOURS_PER_DAY);
    match days.last_mut() {
        Some(last) if last.day == today => last.complete = false,
        // Midnight: today has no complete hour yet, but it appears (with an
        // empty hour index) so that clients see the day change.
        _ => days.push(DayPlan {
            day: today,
            complete: false,
            hours: Vec::new(),
        }),
    }
    Plan {
        window_start_hour: start,
        current_hour,
        days,
        carried: pending.len(),
        waiting,
        expired,
    }
}

/// Splits `count` keys into the fewest parts of at most `max` keys each,
/// as equal as possible (the files of one hour or day; the export format
/// calls them batches); returns the index ranges. No keys: one empty part.
pub fn parts(count: usize, max: usize) -> Vec<std::ops::Range<usize>> {
    let max = max.max(1);
    let parts = count.div_ceil(max).max(1);
    let (base, extra) = (count / parts, count % parts);
    let mut ranges = Vec::with_capacity(parts);
    let mut begin = 0;
    for part in 0..parts {
        let len = base + usize::from(part < extra);
        ranges.push(begin..begin + len);
        begin += len;
    }
    ranges
}

fn sort_by_key_data<K: Plannable>(indices: &mut [usize], keys: &[K]) {
    indices.sort_unstable_by(|a, b| keys[*a].key_data().cmp(keys[*b].key_data()));
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
