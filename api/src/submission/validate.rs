//! The rules a submission must keep (SPEC section 4). Pure: a payload and
//! the time in, the keys to store or the first broken rule out.

use std::collections::{BTreeSet, HashSet};

use proto::submission::SubmissionPayload;
use proto::submission::submission_payload::SubmissionType;
use shared::keys::{DiagnosisKey, KEY_LENGTH, MAX_TRANSMISSION_RISK_LEVEL, ReportType};

use super::{StoredKey, distributable_hour};
use crate::config::Countries;

/// Keys one submission may carry.
pub const MAX_KEYS: usize = 14;
/// Days before today whose keys are still accepted.
pub const RETENTION_DAYS: i64 = 14;
/// Valid range of `days_since_onset_of_symptoms`.
pub const DAYS_SINCE_ONSET: std::ops::RangeInclusive<i32> = -14..=4000;
/// Intervals (10 minutes) per day.
const INTERVALS_PER_DAY: i64 = 144;

/// The first rule a submission breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    /// No key, or more than [`MAX_KEYS`].
    #[error("a submission carries 1 to {MAX_KEYS} keys, this one {0}")]
    KeyCount(usize),
    /// `key_data` is not 16 bytes.
    #[error("key {index}: key data must be {KEY_LENGTH} bytes, got {length}")]
    KeyLength {
        /// Position of the key in the payload.
        index: usize,
        /// Bytes found.
        length: usize,
    },
    /// Two keys with the same key data.
    #[error("key {0}: the same key data appears twice")]
    DuplicateKey(usize),
    /// Rolling start not at midnight UTC (a multiple of 144), or negative.
    #[error("key {index}: rolling start interval number {value} is not a multiple of 144")]
    RollingStart {
        /// Position of the key.
        index: usize,
        /// The value sent.
        value: i64,
    },
    /// Rolling period outside 1..=144.
    #[error("key {index}: rolling period must be 1 to 144, got {value}")]
    RollingPeriod {
        /// Position of the key.
        index: usize,
        /// The value sent.
        value: i64,
    },
    /// Transmission risk level missing or outside 1..=8.
    #[error("key {index}: transmission risk level must be 1 to 8, got {value:?}")]
    TransmissionRiskLevel {
        /// Position of the key.
        index: usize,
        /// The value sent.
        value: Option<i32>,
    },
    /// Days since onset of symptoms outside -14..=4000.
    #[error("key {index}: days since onset of symptoms must be -14 to 4000, got {value}")]
    DaysSinceOnset {
        /// Position of the key.
        index: usize,
        /// The value sent.
        value: i32,
    },
    /// A country code that is malformed or not supported.
    #[error("country {0:?} is not supported")]
    Country(String),
    /// An unknown submission type.
    #[error("unknown submission type {0}")]
    SubmissionType(i32),
    /// Every key starts in the future or more than [`RETENTION_DAYS`] days
    /// ago: nothing would be stored, so the TAN is not spent on it.
    #[error(
        "no key starts between {RETENTION_DAYS} days ago and now: nothing would be stored, \
         and the TAN was not spent"
    )]
    NoKeyInWindow,
}

impl SubmissionError {
    /// A stable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeyCount(_) => "key_count",
            Self::KeyLength { .. } => "key_length",
            Self::DuplicateKey(_) => "duplicate_key",
            Self::RollingStart { .. } => "rolling_start",
            Self::RollingPeriod { .. } => "rolling_period",
            Self::TransmissionRiskLevel { .. } => "transmission_risk_level",
            Self::DaysSinceOnset { .. } => "days_since_onset",
            Self::Country(_) => "country",
            Self::SubmissionType(_) => "submission_type",
            Self::NoKeyInWindow => "no_key_in_window",
        }
    }
}

/// Checks `payload` at unix time `now`. On success returns the keys to
/// store: keys that start in the future or more than [`RETENTION_DAYS`]
/// days ago are dropped silently, but a payload left with none is refused
/// ([`SubmissionError::NoKeyInWindow`]), so it costs the phone no TAN.
pub fn validate(
    payload: &SubmissionPayload,
    countries: &Countries,
    now: i64,
) -> Result<Vec<StoredKey>, SubmissionError> {
    let count = payload.keys.len();
    if count == 0 || count > MAX_KEYS {
        return Err(SubmissionError::KeyCount(count));
    }
    let submission_type = SubmissionType::try_from(payload.submission_type)
        .map_err(|_| SubmissionError::SubmissionType(payload.submission_type))?;
    let (origin, visited) = countries_of(payload, countries)?;

    let current_interval = now.div_euclid(600);
    let oldest_start = (now - RETENTION_DAYS * 86_400).div_euclid(600);
    let submitted_hour = now.div_euclid(3600);
    let mut seen = HashSet::with_capacity(count);
    let mut stored = Vec::with_capacity(count);
    for (index, key) in payload.keys.iter().enumerate() {
        let key = check_key(index, key)?;
        if !seen.insert(key.key_data) {
            return Err(SubmissionError::DuplicateKey(index));
        }
        let start = i64::from(key.rolling_start_interval_number);
        if start > current_interval || start < oldest_start {
            continue;
        }
        stored.push(StoredKey {
            distributable_hour: distributable_hour(&key, submitted_hour),
            key,
            origin_country: origin.clone(),
            visited_countries: visited.clone(),
            consent_to_federation: payload.consent_to_federation,
            submission_type: submission_type as i32,
            submitted_hour,
        });
    }
    if stored.is_empty() {
        return Err(SubmissionError::NoKeyInWindow);
    }
    Ok(stored)
}

fn check_key(
    index: usize,
    key: &proto::exposurenotification::TemporaryExposureKey,
) -> Result<DiagnosisKey, SubmissionError> {
    let data = key.key_data.as_deref().unwrap_or_default();
    let key_data: [u8; KEY_LENGTH] = data.try_into().map_err(|_| SubmissionError::KeyLength {
        index,
        length: data.len(),
    })?;
    let start = i64::from(key.rolling_start_interval_number.unwrap_or(0));
    if start < 0 || start % INTERVALS_PER_DAY != 0 {
        return Err(SubmissionError::RollingStart {
            index,
            value: start,
        });
    }
    let period = i64::from(key.rolling_period());
    if !(1..=INTERVALS_PER_DAY).contains(&period) {
        return Err(SubmissionError::RollingPeriod {
            index,
            value: period,
        });
    }
    let level = key.transmission_risk_level;
    let level_ok =
        level.is_some_and(|level| (1..=i32::from(MAX_TRANSMISSION_RISK_LEVEL)).contains(&level));
    if !level_ok {
        return Err(SubmissionError::TransmissionRiskLevel {
            index,
            value: level,
        });
    }
    if let Some(days) = key.days_since_onset_of_symptoms
        && !DAYS_SINCE_ONSET.contains(&days)
    {
        return Err(SubmissionError::DaysSinceOnset { index, value: days });
    }
    // Phones do not send a report type: a key accepted with a TAN stands
    // for a confirmed test (lab result or a teleTAN after one).
    DiagnosisKey::new(shared::keys::KeyFields {
        key_data,
        transmission_risk_level: i64::from(level.unwrap_or_default()),
        rolling_start_interval_number: start,
        rolling_period: period,
        report_type: ReportType::ConfirmedTest,
        days_since_onset_of_symptoms: key.days_since_onset_of_symptoms,
    })
    .map_err(|_| SubmissionError::RollingStart {
        index,
        value: start,
    })
}

/// The origin (the home country when empty) and the visited countries
/// (sorted, unique, the origin included); each must be supported.
fn countries_of(
    payload: &SubmissionPayload,
    countries: &Countries,
) -> Result<(String, Vec<String>), SubmissionError> {
    let origin = if payload.origin.is_empty() {
        countries.home().to_string()
    } else {
        payload.origin.clone()
    };
    let mut visited = BTreeSet::new();
    for code in payload.visited_countries.iter().chain(Some(&origin)) {
        if !countries.supports(code) {
            return Err(SubmissionError::Country(code.clone()));
        }
        visited.insert(code.clone());
    }
    Ok((origin, visited.into_iter().collect()))
}
