//! Deterministic pseudo-random diagnosis keys for benchmarks, shared by the
//! native criterion benchmarks and the browser timings so both measure the
//! same bytes.

use shared::keys::{DiagnosisKey, ReportType};

/// `count` distinct keys with random-looking key data (SplitMix64: the
/// benchmarks need many distinct keys, not cryptographic ones), TRLs 1 to 8
/// and rolling starts over 14 days.
pub fn random_keys(count: usize) -> Vec<DiagnosisKey> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|index| {
            let mut key_data = [0u8; 16];
            key_data[..8].copy_from_slice(&next().to_le_bytes());
            key_data[8..].copy_from_slice(&next().to_le_bytes());
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data,
                transmission_risk_level: 1 + (index % 8) as i64,
                rolling_start_interval_number: 2_940_000 + 144 * (index % 14) as i64,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some((index % 10) as i32),
            })
            .expect("generated keys are in range")
        })
        .collect()
}

/// A one-hour DE bundle specification holding `keys`.
pub fn hourly_spec(keys: Vec<DiagnosisKey>) -> shared::bundle::ExportSpec {
    shared::bundle::ExportSpec {
        region: "DE".into(),
        start_timestamp: 1_764_288_000,
        end_timestamp: 1_764_291_600,
        batch_num: 1,
        batch_size: 1,
        keys,
    }
}
