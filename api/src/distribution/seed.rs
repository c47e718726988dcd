//! Realistic demo submissions (`warn demo seed`): each case uploads the 14
//! daily keys before the day of its submission, confirmed by a test, with
//! transmission risk levels that follow the days since symptom onset.

use shared::keys::{DiagnosisKey, ReportType};

use crate::submission::{StoredKey, distributable_hour};

/// Seconds in a day.
const DAY: i64 = 86_400;
/// 10-minute intervals in a day.
const INTERVALS_PER_DAY: i64 = 144;
/// Keys each case uploads.
pub const KEYS_PER_CASE: usize = 14;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Number of submissions.
    pub cases: usize,
    /// Submissions are spread evenly over the `days` days before `now`.
    pub days: i64,
    /// Unix seconds.
    pub now: i64,
    /// Origin (and only visited) country.
    pub country: String,
}

/// Transmission risk level by days since onset of symptoms: highest around
/// the onset, falling off on both sides (the shape of the apps' defaults).
pub fn transmission_risk_level(days_since_onset: i64) -> i64 {
    match days_since_onset {
        -2..=2 => 8,
        -3 | 3..=4 => 6,
        -4 | 5..=6 => 5,
        -5 | 7..=8 => 3,
        _ => 1,
    }
}

/// The keys of `options.cases` cases, drawn from `rng`.
pub fn generate(options: &SeedOptions, rng: &mut fastrand::Rng) -> Vec<StoredKey> {
    let span = (options.days * DAY).max(1);
    let mut keys = Vec::with_capacity(options.cases * KEYS_PER_CASE);
    for _ in 0..options.cases {
        let submitted = options.now - rng.i64(1..=span);
        let submitted_hour = submitted.div_euclid(3600);
        let submission_day = submitted.div_euclid(DAY);
        // Symptoms began up to 5 days before the test was submitted.
        let onset_day = submission_day - rng.i64(0..=5);
        for age in 1..=KEYS_PER_CASE as i64 {
            let key_day = submission_day - age;
            let days_since_onset = key_day - onset_day;
            let mut key_data = [0u8; 16];
            rng.fill(&mut key_data);
            let Ok(key) = DiagnosisKey::new(shared::keys::KeyFields {
                key_data,
                transmission_risk_level: transmission_risk_level(days_since_onset),
                rolling_start_interval_number: key_day * INTERVALS_PER_DAY,
                rolling_period: INTERVALS_PER_DAY,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: i32::try_from(days_since_onset).ok(),
            }) else {
                continue;
            };
            let distributable_hour = distributable_hour(&key, submitted_hour);
            keys.push(StoredKey {
                key,
                origin_country: options.country.clone(),
                visited_countries: vec![options.country.clone()],
                consent_to_federation: false,
                submission_type: 0,
                submitted_hour,
                distributable_hour,
            });
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_case_uploads_fourteen_keys_before_its_submission_day() {
        let options = SeedOptions {
            cases: 50,
            days: 3,
            now: 1_795_132_800,
            country: "DE".into(),
        };
        let keys = generate(&options, &mut fastrand::Rng::with_seed(7));
        assert_eq!(keys.len(), 50 * KEYS_PER_CASE);
        for stored in &keys {
            let start = i64::from(stored.key.rolling_start_interval_number) * 600;
            assert!(
                start + DAY <= stored.submitted_hour * 3600 + 3600,
                "{stored:?}"
            );
            assert!(stored.distributable_hour > stored.submitted_hour);
            assert!((1..=8).contains(&stored.key.transmission_risk_level));
        }
    }

    #[test]
    fn the_risk_level_peaks_at_the_onset() {
        assert_eq!(transmission_risk_level(0), 8);
        assert!(transmission_risk_level(4) < transmission_risk_level(1));
        assert_eq!(transmission_risk_level(-10), 1);
    }
}
