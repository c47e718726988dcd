//! Diagnosis keys (Temporary Exposure Keys of people who tested positive).
//!
//! [`DiagnosisKey`] is the validated form; [`KeysFile`] is the JSON shape of a
//! key list as Google's export tools write it
//! (`{"temporaryExposureKeys": [{"key": base64, "rollingStartNumber", ...}]}`);
//! [`DistinctKeys`] gathers the keys of several bundles as a phone does, a
//! revision replacing the key it revises.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proto::exposurenotification::TemporaryExposureKey;
use proto::exposurenotification::temporary_exposure_key::ReportType as ProtoReportType;
use serde::{Deserialize, Serialize};

/// Length of a Temporary Exposure Key.
pub const KEY_LENGTH: usize = 16;
/// Intervals (of 10 minutes) in a day: the longest rolling period.
pub const MAX_ROLLING_PERIOD: u32 = 144;
/// The highest transmission risk level.
pub const MAX_TRANSMISSION_RISK_LEVEL: u8 = 8;

/// How a key's owner was diagnosed (the export format's `ReportType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportType {
    /// Not given.
    #[default]
    Unknown,
    /// A positive laboratory test.
    ConfirmedTest,
    /// A clinical diagnosis.
    ConfirmedClinicalDiagnosis,
    /// Reported by the person.
    SelfReport,
    /// Derived from another key.
    Recursive,
    /// An earlier report was withdrawn.
    Revoked,
}

impl ReportType {
    /// The wire value (0 to 5).
    pub fn code(self) -> i32 {
        self.to_proto() as i32
    }

    /// The report type for a wire value; unknown values read as [`ReportType::Unknown`].
    pub fn from_code(code: i32) -> Self {
        match ProtoReportType::try_from(code) {
            Ok(ProtoReportType::ConfirmedTest) => Self::ConfirmedTest,
            Ok(ProtoReportType::ConfirmedClinicalDiagnosis) => Self::ConfirmedClinicalDiagnosis,
            Ok(ProtoReportType::SelfReport) => Self::SelfReport,
            Ok(ProtoReportType::Recursive) => Self::Recursive,
            Ok(ProtoReportType::Revoked) => Self::Revoked,
            Ok(ProtoReportType::Unknown) | Err(_) => Self::Unknown,
        }
    }

    fn to_proto(self) -> ProtoReportType {
        match self {
            Self::Unknown => ProtoReportType::Unknown,
            Self::ConfirmedTest => ProtoReportType::ConfirmedTest,
            Self::ConfirmedClinicalDiagnosis => ProtoReportType::ConfirmedClinicalDiagnosis,
            Self::SelfReport => ProtoReportType::SelfReport,
            Self::Recursive => ProtoReportType::Recursive,
            Self::Revoked => ProtoReportType::Revoked,
        }
    }
}

/// A diagnosis key whose fields are known to be in range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiagnosisKey {
    /// The 16 key bytes.
    pub key_data: [u8; KEY_LENGTH],
    /// 0 (not set) or 1 to 8.
    pub transmission_risk_level: u8,
    /// First 10-minute interval (unix seconds / 600) the key was valid for.
    pub rolling_start_interval_number: u32,
    /// Number of intervals it was valid for, 1 to 144.
    pub rolling_period: u32,
    /// How its owner was diagnosed.
    pub report_type: ReportType,
    /// Days between symptom onset and the key's day, when known.
    pub days_since_onset_of_symptoms: Option<i32>,
}

/// Why a key's fields are out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// `key_data` is not 16 bytes.
    #[error("key data must be {KEY_LENGTH} bytes, got {0}")]
    KeyLength(usize),
    /// `key_data` is not valid base64.
    #[error("key data is not valid base64")]
    KeyEncoding,
    /// Transmission risk level outside 0..=8.
    #[error("transmission risk level must be 0 to 8, got {0}")]
    TransmissionRiskLevel(i64),
    /// Rolling start interval number negative or too large.
    #[error("rolling start interval number out of range: {0}")]
    RollingStart(i64),
    /// Rolling period outside 1..=144.
    #[error("rolling period must be 1 to 144, got {0}")]
    RollingPeriod(i64),
}

/// A key's fields as they arrive (a database row, a partner's batch, a
/// file), named so that no caller can swap the integers, before
/// [`DiagnosisKey::new`] checks their ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFields {
    /// The 16 bytes of the key.
    pub key_data: [u8; KEY_LENGTH],
    /// 0 to 8.
    pub transmission_risk_level: i64,
    /// The first 10-minute interval of the key's validity.
    pub rolling_start_interval_number: i64,
    /// Its intervals, 1 to 144.
    pub rolling_period: i64,
    /// How the infection was established.
    pub report_type: ReportType,
    /// Days between the key's day and the onset of symptoms, when known.
    pub days_since_onset_of_symptoms: Option<i32>,
}

impl DiagnosisKey {
    /// Checks the fields of a key as it came off the wire. A missing rolling
    /// period means 144 (the format's default).
    pub fn from_proto(key: &TemporaryExposureKey) -> Result<Self, KeyError> {
        let data = key.key_data.as_deref().unwrap_or_default();
        let key_data: [u8; KEY_LENGTH] = data
            .try_into()
            .map_err(|_| KeyError::KeyLength(data.len()))?;
        Self::new(KeyFields {
            key_data,
            transmission_risk_level: i64::from(key.transmission_risk_level.unwrap_or(0)),
            rolling_start_interval_number: i64::from(
                key.rolling_start_interval_number.unwrap_or(0),
            ),
            rolling_period: i64::from(key.rolling_period()),
            report_type: ReportType::from_code(key.report_type.unwrap_or(0)),
            days_since_onset_of_symptoms: key.days_since_onset_of_symptoms,
        })
    }

    /// Builds a key from its fields, checking every range.
    pub fn new(fields: KeyFields) -> Result<Self, KeyError> {
        let KeyFields {
            key_data,
            transmission_risk_level,
            rolling_start_interval_number,
            rolling_period,
            report_type,
            days_since_onset_of_symptoms,
        } = fields;
        let transmission_risk_level = u8::try_from(transmission_risk_level)
            .ok()
            .filter(|level| *level <= MAX_TRANSMISSION_RISK_LEVEL)
            .ok_or(KeyError::TransmissionRiskLevel(transmission_risk_level))?;
        let rolling_start_interval_number = u32::try_from(rolling_start_interval_number)
            .ok()
            .filter(|start| i32::try_from(*start).is_ok())
            .ok_or(KeyError::RollingStart(rolling_start_interval_number))?;
        let rolling_period = u32::try_from(rolling_period)
            .ok()
            .filter(|period| (1..=MAX_ROLLING_PERIOD).contains(period))
            .ok_or(KeyError::RollingPeriod(rolling_period))?;
        Ok(Self {
            key_data,
            transmission_risk_level,
            rolling_start_interval_number,
            rolling_period,
            report_type,
            days_since_onset_of_symptoms,
        })
    }

    /// The key in the export format.
    pub fn to_proto(&self) -> TemporaryExposureKey {
        TemporaryExposureKey {
            key_data: Some(bytes::Bytes::copy_from_slice(&self.key_data)),
            transmission_risk_level: Some(i32::from(self.transmission_risk_level)),
            // Range-checked in `new`: fits in i32.
            rolling_start_interval_number: Some(self.rolling_start_interval_number as i32),
            rolling_period: Some(self.rolling_period as i32),
            report_type: Some(self.report_type.code()),
            days_since_onset_of_symptoms: self.days_since_onset_of_symptoms,
        }
    }
}

/// A key list in the JSON shape of Google's export tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeysFile {
    /// The keys.
    pub temporary_exposure_keys: Vec<KeyJson>,
}

/// One key of a [`KeysFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyJson {
    /// Base64 of the 16 key bytes.
    pub key: String,
    /// First interval number.
    pub rolling_start_number: i64,
    /// Intervals of validity (default 144).
    #[serde(default = "default_rolling_period")]
    pub rolling_period: i64,
    /// Transmission risk level, 0 to 8.
    #[serde(default)]
    pub transmission_risk: i64,
    /// Report type code, 0 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_type: Option<i32>,
    /// Days since onset of symptoms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_since_onset_of_symptoms: Option<i32>,
}

fn default_rolling_period() -> i64 {
    i64::from(MAX_ROLLING_PERIOD)
}

impl KeysFile {
    /// Validates every key; the error names the first bad key by its position.
    pub fn into_keys(self) -> Result<Vec<DiagnosisKey>, (usize, KeyError)> {
        self.temporary_exposure_keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| key.into_key().map_err(|error| (index, error)))
            .collect()
    }
}

impl KeyJson {
    /// Decodes and validates the key.
    pub fn into_key(self) -> Result<DiagnosisKey, KeyError> {
        let data = BASE64
            .decode(self.key.as_bytes())
            .map_err(|_| KeyError::KeyEncoding)?;
        let key_data: [u8; KEY_LENGTH] = data
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::KeyLength(data.len()))?;
        DiagnosisKey::new(KeyFields {
            key_data,
            transmission_risk_level: self.transmission_risk,
            rolling_start_interval_number: self.rolling_start_number,
            rolling_period: self.rolling_period,
            report_type: self
                .report_type
                .map(ReportType::from_code)
                .unwrap_or_default(),
            days_since_onset_of_symptoms: self.days_since_onset_of_symptoms,
        })
    }
}

/// Diagnosis keys in the order they came (bundle by bundle, keys before
/// revised keys), one per key data: a later key with the same data (a
/// revision, say to revoked) replaces the earlier in its place. What
/// `warn match` and the browser's matching job match.
#[derive(Debug, Clone, Default)]
pub struct DistinctKeys {
    keys: Vec<DiagnosisKey>,
    positions: HashMap<[u8; KEY_LENGTH], usize>,
}

impl DistinctKeys {
    /// Adds `key`, or replaces the key with the same key data.
    pub fn insert(&mut self, key: DiagnosisKey) {
        match self.positions.get(&key.key_data) {
            Some(&position) => {
                if let Some(slot) = self.keys.get_mut(position) {
                    *slot = key;
                }
            }
            None => {
                self.positions.insert(key.key_data, self.keys.len());
                self.keys.push(key);
            }
        }
    }

    /// The keys, in the order their key data first came.
    pub fn as_slice(&self) -> &[DiagnosisKey] {
        &self.keys
    }

    /// How many distinct keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revised_key_replaces_the_key_it_revises() {
        let key = |seed: u8, report_type| {
            DiagnosisKey::new(KeyFields {
                key_data: [seed; 16],
                transmission_risk_level: 5,
                rolling_start_interval_number: 2_653_920,
                rolling_period: 144,
                report_type,
                days_since_onset_of_symptoms: None,
            })
            .unwrap()
        };
        let mut keys = DistinctKeys::default();
        keys.insert(key(1, ReportType::ConfirmedTest));
        keys.insert(key(2, ReportType::ConfirmedTest));
        keys.insert(key(1, ReportType::Revoked));
        let report_types: Vec<_> = keys
            .as_slice()
            .iter()
            .map(|key| (key.key_data[0], key.report_type))
            .collect();
        assert_eq!(
            report_types,
            vec![(1, ReportType::Revoked), (2, ReportType::ConfirmedTest)]
        );
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn key_ranges_are_checked() {
        let ok = |trl, start, period| {
            DiagnosisKey::new(KeyFields {
                key_data: [0; 16],
                transmission_risk_level: trl,
                rolling_start_interval_number: start,
                rolling_period: period,
                report_type: ReportType::Unknown,
                days_since_onset_of_symptoms: None,
            })
        };
        assert!(ok(0, 0, 1).is_ok());
        assert!(ok(8, 2_649_980, 144).is_ok());
        assert_eq!(ok(9, 0, 1), Err(KeyError::TransmissionRiskLevel(9)));
        assert_eq!(ok(-1, 0, 1), Err(KeyError::TransmissionRiskLevel(-1)));
        assert_eq!(ok(1, -1, 1), Err(KeyError::RollingStart(-1)));
        assert_eq!(ok(1, 1 << 31, 1), Err(KeyError::RollingStart(1 << 31)));
        assert_eq!(ok(1, 0, 0), Err(KeyError::RollingPeriod(0)));
        assert_eq!(ok(1, 0, 145), Err(KeyError::RollingPeriod(145)));
    }

    #[test]
    fn json_key_decodes_and_round_trips_through_proto() {
        let json = r#"{"key":"Fy/EgOWYSQw0F3YEM5sVQw==","rollingStartNumber":2649980,"rollingPeriod":1,"transmissionRisk":8}"#;
        let key: KeyJson = serde_json::from_str(json).unwrap();
        let key = key.into_key().unwrap();
        assert_eq!(key.transmission_risk_level, 8);
        assert_eq!(key.rolling_period, 1);
        assert_eq!(DiagnosisKey::from_proto(&key.to_proto()).unwrap(), key);
    }

    #[test]
    fn json_key_with_wrong_length_is_refused() {
        let key = KeyJson {
            key: BASE64.encode([1u8; 15]),
            rolling_start_number: 0,
            rolling_period: 144,
            transmission_risk: 1,
            report_type: None,
            days_since_onset_of_symptoms: None,
        };
        assert_eq!(key.into_key(), Err(KeyError::KeyLength(15)));
    }
}
