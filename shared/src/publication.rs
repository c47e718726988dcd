//! What a published key carries for the released apps, and how the apps
//! read it back.
//!
//! Exposure Notification v2 ignores a key's transmission risk level. So
//! cwa-server encodes the level, when it builds a bundle, into the two
//! fields the framework does pass on: the report type and the days since
//! onset of symptoms
//! (`services/distribution/src/main/resources/main-config/transmission-risk-encoding.yaml`,
//! applied by `EnfParameterAdapter.java`). Stored keys keep what was
//! submitted; only the published copy is re-encoded. It also publishes only
//! keys whose level is at least its `minimum-trl-value-allowed`
//! (`DiagnosisKeyService.getDiagnosisKeysWithMinTrl`: `>=`).
//!
//! The apps give the framework `diagnosisKeysDataMapping`
//! (`main-config/v2/diagnosis-keys-data-mapping.yaml`): days since onset →
//! infectiousness (a value the map lacks means "none", and the framework
//! then ignores the key), and a report type for keys without one. The
//! exposure window's report type and infectiousness then give the level
//! back through `trlEncoding` ([`crate::risk::v2::TrlEncoding`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::{DiagnosisKey, ReportType};

/// cwa-server's `transmissionRisk-to-daysSinceSymptoms`, TRL 1 to 8.
pub const CWA_DAYS_SINCE_SYMPTOMS: [i32; 8] = [1, 2, 1, 2, 1, 2, 1, 2];
/// cwa-server's `transmissionRisk-to-reportType`, TRL 1 to 8 (4 recursive,
/// 3 self report, 2 confirmed clinical diagnosis, 1 confirmed test).
pub const CWA_REPORT_TYPES: [ReportType; 8] = [
    ReportType::Recursive,
    ReportType::Recursive,
    ReportType::SelfReport,
    ReportType::SelfReport,
    ReportType::ConfirmedClinicalDiagnosis,
    ReportType::ConfirmedClinicalDiagnosis,
    ReportType::ConfirmedTest,
    ReportType::ConfirmedTest,
];
/// cwa-server's `minimum-trl-value-allowed`: keys below are not published.
pub const CWA_MINIMUM_TRL: u8 = 3;

/// The report type and days since onset that a key of transmission risk
/// level `trl` is published with; `None` for a level outside 1..=8 (the
/// encoding has no entry for it, so such a key is not published).
pub fn encode_transmission_risk(trl: u8) -> Option<(ReportType, i32)> {
    let index = usize::from(trl.checked_sub(1)?);
    Some((
        *CWA_REPORT_TYPES.get(index)?,
        *CWA_DAYS_SINCE_SYMPTOMS.get(index)?,
    ))
}

/// The copy of `key` that goes into a bundle: report type and days since
/// onset re-encoded from its transmission risk level, everything else as
/// stored. `None` when the key is not published (level below
/// `minimum_trl`, or outside 1..=8).
pub fn published_key(key: &DiagnosisKey, minimum_trl: u8) -> Option<DiagnosisKey> {
    if key.transmission_risk_level < minimum_trl {
        return None;
    }
    let (report_type, days) = encode_transmission_risk(key.transmission_risk_level)?;
    Some(DiagnosisKey {
        report_type,
        days_since_onset_of_symptoms: Some(days),
        ..key.clone()
    })
}

/// The apps' `diagnosisKeysDataMapping` (Android hands it to the framework
/// as `DiagnosisKeysDataMapping`; iOS's `ExposureConfiguration` carries the
/// same two values as `infectiousnessForDaysSinceOnsetOfSymptoms` and
/// `reportTypeNoneMap`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiagnosisKeysDataMapping {
    /// Days since onset → infectiousness (0 none, 1 standard, 2 high).
    pub days_since_onset_to_infectiousness: BTreeMap<i32, i32>,
    /// Infectiousness of a key without days since onset.
    pub infectiousness_when_days_since_onset_missing: i32,
    /// Report type given to a key without one.
    pub report_type_when_missing: i32,
}

impl Default for DiagnosisKeysDataMapping {
    /// cwa-server's `diagnosis-keys-data-mapping.yaml`.
    fn default() -> Self {
        Self {
            days_since_onset_to_infectiousness: BTreeMap::from([(1, 1), (2, 2)]),
            infectiousness_when_days_since_onset_missing: 0,
            report_type_when_missing: 1,
        }
    }
}

/// Infectiousness "none": the framework drops the key.
pub const INFECTIOUSNESS_NONE: i32 = 0;

impl DiagnosisKeysDataMapping {
    /// The infectiousness the framework gives a published key; a value the
    /// map does not list is "none" (0).
    pub fn infectiousness(&self, days_since_onset: Option<i32>) -> i32 {
        match days_since_onset {
            Some(days) => self
                .days_since_onset_to_infectiousness
                .get(&days)
                .copied()
                .unwrap_or(INFECTIOUSNESS_NONE),
            None => self.infectiousness_when_days_since_onset_missing,
        }
    }

    /// The report type the framework gives a published key (its own, or
    /// `reportTypeWhenMissing` for "unknown").
    pub fn report_type(&self, report_type: ReportType) -> i32 {
        match report_type {
            ReportType::Unknown => self.report_type_when_missing,
            other => other.code(),
        }
    }

    /// What an exposure window of a published key says: (report type,
    /// infectiousness); `None` when the framework drops the key
    /// (infectiousness none, or report type revoked).
    pub fn window_of(&self, key: &DiagnosisKey) -> Option<(i32, i32)> {
        let infectiousness = self.infectiousness(key.days_since_onset_of_symptoms);
        let report_type = self.report_type(key.report_type);
        (infectiousness != INFECTIOUSNESS_NONE && report_type != ReportType::Revoked.code())
            .then_some((report_type, infectiousness))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(trl: u8) -> DiagnosisKey {
        DiagnosisKey::new(crate::keys::KeyFields {
            key_data: [7; 16],
            transmission_risk_level: i64::from(trl),
            rolling_start_interval_number: 2_900_000,
            rolling_period: 144,
            report_type: ReportType::ConfirmedTest,
            days_since_onset_of_symptoms: Some(-3),
        })
        .expect("valid")
    }

    #[test]
    fn levels_outside_one_to_eight_and_below_the_minimum_are_not_published() {
        assert_eq!(published_key(&key(0), 0), None);
        assert_eq!(published_key(&key(2), 3), None);
        assert!(published_key(&key(3), 3).is_some());
    }

    #[test]
    fn a_published_key_keeps_everything_but_report_type_and_onset() {
        let published = published_key(&key(8), 1).expect("published");
        assert_eq!(published.report_type, ReportType::ConfirmedTest);
        assert_eq!(published.days_since_onset_of_symptoms, Some(2));
        assert_eq!(published.key_data, [7; 16]);
        assert_eq!(published.transmission_risk_level, 8);
    }
}
