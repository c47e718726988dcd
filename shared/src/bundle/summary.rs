//! What a person wants to see of a key bundle at a glance: its time window,
//! its batch position, how many keys it holds and how they spread over the
//! transmission risk levels and report types (the browser verifier's chart).

use proto::exposurenotification::{TemporaryExposureKey, TemporaryExposureKeyExport};
use serde::{Deserialize, Serialize};

/// A key bundle in numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSummary {
    /// Region (ISO 3166 alpha-2, or "EUR").
    pub region: String,
    /// Start of the time window, unix seconds.
    pub start_timestamp: u64,
    /// End of the time window, unix seconds.
    pub end_timestamp: u64,
    /// Position of this file in its batch, 1-based.
    pub batch_num: i32,
    /// Files in the batch.
    pub batch_size: i32,
    /// Keys in the export (revised keys not counted).
    pub keys: usize,
    /// Revised keys.
    pub revised_keys: usize,
    /// Keys (and revised keys) per transmission risk level: index 0 counts
    /// keys without a level or with one outside 1 to 8, index `n` level `n`.
    pub transmission_risk_levels: [u32; 9],
    /// Keys (and revised keys) per report type code 0 to 5 (unknown,
    /// confirmed test, clinical diagnosis, self report, recursive, revoked);
    /// codes outside that count as 0.
    pub report_types: [u32; 6],
}

impl ExportSummary {
    /// Counts the keys of an export (verified or not: the caller decides
    /// what to trust).
    pub fn of(export: &TemporaryExposureKeyExport) -> Self {
        let mut transmission_risk_levels = [0u32; 9];
        let mut report_types = [0u32; 6];
        for key in export.keys.iter().chain(&export.revised_keys) {
            let level = level_index(key);
            transmission_risk_levels[level] = transmission_risk_levels[level].saturating_add(1);
            let report = report_index(key);
            report_types[report] = report_types[report].saturating_add(1);
        }
        Self {
            region: export.region().to_owned(),
            start_timestamp: export.start_timestamp(),
            end_timestamp: export.end_timestamp(),
            batch_num: export.batch_num(),
            batch_size: export.batch_size(),
            keys: export.keys.len(),
            revised_keys: export.revised_keys.len(),
            transmission_risk_levels,
            report_types,
        }
    }
}

fn level_index(key: &TemporaryExposureKey) -> usize {
    match key.transmission_risk_level {
        Some(level @ 1..=8) => usize::try_from(level).unwrap_or(0),
        _ => 0,
    }
}

fn report_index(key: &TemporaryExposureKey) -> usize {
    match key.report_type {
        Some(code @ 0..=5) => usize::try_from(code).unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(level: Option<i32>, report: Option<i32>) -> TemporaryExposureKey {
        TemporaryExposureKey {
            key_data: Some(bytes::Bytes::from_static(&[7; 16])),
            transmission_risk_level: level,
            rolling_start_interval_number: Some(2_946_672),
            rolling_period: Some(144),
            report_type: report,
            days_since_onset_of_symptoms: None,
        }
    }

    #[test]
    fn counts_levels_and_report_types_of_keys_and_revised_keys() {
        let export = TemporaryExposureKeyExport {
            start_timestamp: Some(1_763_640_000),
            end_timestamp: Some(1_763_643_600),
            region: Some("DE".into()),
            batch_num: Some(1),
            batch_size: Some(2),
            signature_infos: Vec::new(),
            keys: vec![
                key(Some(6), Some(1)),
                key(Some(6), Some(1)),
                key(Some(1), Some(3)),
                key(None, None),
                key(Some(9), Some(17)),
            ],
            revised_keys: vec![key(Some(8), Some(5))],
        };
        let summary = ExportSummary::of(&export);
        assert_eq!(summary.region, "DE");
        assert_eq!(
            (summary.start_timestamp, summary.end_timestamp),
            (1_763_640_000, 1_763_643_600)
        );
        assert_eq!((summary.batch_num, summary.batch_size), (1, 2));
        assert_eq!((summary.keys, summary.revised_keys), (5, 1));
        assert_eq!(
            summary.transmission_risk_levels,
            [2, 1, 0, 0, 0, 0, 2, 0, 1]
        );
        assert_eq!(summary.report_types, [2, 2, 0, 1, 0, 1]);
    }

    #[test]
    fn an_empty_export_counts_nothing() {
        let summary = ExportSummary::of(&TemporaryExposureKeyExport::default());
        assert_eq!(summary.keys, 0);
        assert_eq!(summary.transmission_risk_levels, [0; 9]);
        assert_eq!(summary.report_types, [0; 6]);
    }
}
