//! The submission service (SPEC section 4): diagnosis keys, accepted only
//! with a TAN that the verification service confirms and burns.
//!
//! - [`routes`]: `POST /version/v1/diagnosis-keys`, behind the fake layer.
//! - [`validate`]: the rules of SPEC section 4, pure.
//! - [`tan`]: burning the TAN at the verification service, here or remote.
//! - [`store`]: the `diagnosis_keys` table, written in one transaction per
//!   submission.

pub mod routes;
pub mod store;
pub mod tan;
pub mod validate;

use std::sync::Arc;

use shared::keys::DiagnosisKey;

use crate::config::Countries;
use crate::db::Db;
use crate::internal::TanVerifier;

/// What the submission service's handler needs: a submission route cannot
/// be built without a verification service to spend TANs at.
#[derive(Clone)]
pub struct SubmissionState {
    /// The database the keys go to.
    pub db: Db,
    /// The verification service, in this process or over HTTP.
    pub tan_verifier: Arc<dyn TanVerifier>,
    /// The countries a submission may name.
    pub countries: Arc<Countries>,
}

/// Seconds in an hour.
const HOUR: i64 = 3600;
/// Seconds after the end of a key's validity before it may be published.
pub const EMBARGO_SECONDS: i64 = 2 * HOUR;

/// A diagnosis key as stored: the key and what travels with it, nothing
/// that links it to its submitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key itself.
    pub key: DiagnosisKey,
    /// ISO 3166 alpha-2 code of the country whose users submitted it.
    pub origin_country: String,
    /// ISO 3166 alpha-2 codes of the countries visited, sorted, unique, the
    /// origin included.
    pub visited_countries: Vec<String>,
    /// Whether the user agreed to share the key with other countries.
    pub consent_to_federation: bool,
    /// 0 PCR test, 1 rapid test.
    pub submission_type: i32,
    /// Unix hour (seconds / 3600) of the submission.
    pub submitted_hour: i64,
    /// Unix hour at whose start the key may first be published: see
    /// [`distributable_hour`].
    pub distributable_hour: i64,
}

/// The unix hour at whose start a key may first be published: the later of
/// the end of its embargo (validity end + 2 hours, rounded up to the next
/// full hour) and the end of the hour it was submitted in.
pub fn distributable_hour(key: &DiagnosisKey, submitted_hour: i64) -> i64 {
    let validity_end =
        (i64::from(key.rolling_start_interval_number) + i64::from(key.rolling_period)) * 600;
    let embargo_end = validity_end + EMBARGO_SECONDS;
    let embargo_hour = embargo_end.div_euclid(HOUR) + i64::from(embargo_end.rem_euclid(HOUR) != 0);
    embargo_hour.max(submitted_hour + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::keys::ReportType;

    fn key(start: u32, period: u32) -> DiagnosisKey {
        DiagnosisKey {
            key_data: [7; 16],
            transmission_risk_level: 5,
            rolling_start_interval_number: start,
            rolling_period: period,
            report_type: ReportType::ConfirmedTest,
            days_since_onset_of_symptoms: None,
        }
    }

    #[test]
    fn a_full_day_key_is_embargoed_two_hours_past_midnight() {
        // 2026-11-20T00:00Z = interval 2_991_888; valid until 2026-11-21T00:00Z.
        let start = 1_795_132_800 / 600;
        let end_hour = (i64::from(start) + 144) * 600 / 3600;
        assert_eq!(distributable_hour(&key(start, 144), 0), end_hour + 2);
    }

    #[test]
    fn a_partial_key_rounds_its_embargo_up_to_the_hour() {
        // Valid for 5 intervals (50 minutes): ends at :50, embargo to 2:50, published at 3:00.
        let start = 1_795_132_800 / 600;
        let midnight_hour = 1_795_132_800 / 3600;
        assert_eq!(distributable_hour(&key(start, 5), 0), midnight_hour + 3);
    }

    #[test]
    fn a_late_submission_waits_for_the_end_of_its_hour() {
        let start = 1_795_132_800 / 600;
        let later = 1_795_132_800 / 3600 + 100;
        assert_eq!(distributable_hour(&key(start, 144), later), later + 1);
    }
}
