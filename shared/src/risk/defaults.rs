//! The reference configuration that `warn risk`, the portal's risk page and
//! the verifier score with unless given another.
//!
//! The values are those SPEC section 8 names. Where it names none, they
//! follow an earlier cwa-server `v2/risk-calculation-parameters.yaml`:
//! windows with less than 10 minutes below 73 dB and windows with TRL 1 or
//! 2 are dropped, and the per-window table uses the per-day thresholds
//! (`[0, 13)` LOW, `[13, 99999]` HIGH). The configuration published for the
//! apps carries cwa-server's last values instead
//! (`api/src/distribution/app-config.toml`).

use proto::appconfig as pb;

use super::config::ApplicationConfig;
use super::levels::{Range, RiskLevel};
use super::v1::{
    AttenuationDuration, DurationWeights, RiskScoreClass, RiskScoreClassification,
    RiskScoreParameters, Thresholds, V1Config,
};
use super::v2::{
    MinutesAtAttenuationFilter, MinutesAtAttenuationWeight, NormalizedTimeToRiskLevelMapping,
    RiskCalculationParameters, TransmissionRiskValueMapping, TrlEncoding, TrlFilter,
};

impl Default for ApplicationConfig {
    /// The production values.
    fn default() -> Self {
        Self {
            v1: v1(),
            risk_calculation_parameters: v2(),
            supported_countries: Vec::new(),
        }
    }
}

/// The version 1 risk parameters of the production configuration, as the
/// official v1 protobuf (the other fields empty).
pub fn default_application_configuration() -> pb::ApplicationConfiguration {
    pb::ApplicationConfiguration::from(&v1())
}

/// Version 1: the reference architecture's values (CWA, late 2020).
pub fn v1() -> V1Config {
    V1Config {
        min_risk_score: 11,
        risk_score_classes: RiskScoreClassification {
            risk_classes: vec![
                RiskScoreClass {
                    label: "LOW".into(),
                    min: 0,
                    max: 15,
                    url: "https://www.coronawarn.app".into(),
                },
                RiskScoreClass {
                    label: "HIGH".into(),
                    min: 15,
                    max: 9999,
                    url: "https://www.coronawarn.app".into(),
                },
            ],
        },
        exposure_config: RiskScoreParameters {
            transmission: [0, 0, 3, 4, 5, 6, 7, 8],
            duration: [0, 0, 0, 1, 1, 1, 1, 1],
            days_since_last_exposure: [5; 8],
            attenuation: [0, 2, 2, 2, 2, 2, 2, 2],
            // cwa-server's main-config/exposure-config.yaml; the framework
            // multiplies the scores alone, so they do not change a score.
            transmission_weight: 50.0,
            duration_weight: 50.0,
            days_weight: 20.0,
            attenuation_weight: 50.0,
        },
        attenuation_duration: AttenuationDuration {
            thresholds: Thresholds {
                lower: 55,
                upper: 63,
            },
            weights: DurationWeights {
                low: 1.0,
                mid: 0.5,
                high: 0.0,
            },
            default_bucket_offset: 0,
            risk_score_normalization_divisor: 50,
        },
    }
}

/// Version 2: exposure windows.
pub fn v2() -> RiskCalculationParameters {
    let levels = || {
        vec![
            NormalizedTimeToRiskLevelMapping {
                normalized_time_range: Range::max_exclusive(0.0, 13.0),
                risk_level: RiskLevel::Low,
            },
            NormalizedTimeToRiskLevelMapping {
                normalized_time_range: Range::inclusive(13.0, 99999.0),
                risk_level: RiskLevel::High,
            },
        ]
    };
    let values = [0.0, 0.0, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6];
    RiskCalculationParameters {
        minutes_at_attenuation_filters: vec![MinutesAtAttenuationFilter {
            attenuation_range: Range::max_exclusive(0.0, 73.0),
            drop_if_minutes_in_range: Range::max_exclusive(0.0, 10.0),
        }],
        trl_filters: vec![TrlFilter {
            drop_if_trl_in_range: Range::inclusive(1.0, 2.0),
        }],
        minutes_at_attenuation_weights: vec![
            MinutesAtAttenuationWeight {
                attenuation_range: Range::max_exclusive(0.0, 63.0),
                weight: 0.8,
            },
            MinutesAtAttenuationWeight {
                attenuation_range: Range::max_exclusive(63.0, 73.0),
                weight: 1.0,
            },
            MinutesAtAttenuationWeight {
                attenuation_range: Range::max_exclusive(73.0, 79.0),
                weight: 0.1,
            },
        ],
        normalized_time_per_ew_to_risk_level_mapping: levels(),
        normalized_time_per_day_to_risk_level_mapping: levels(),
        trl_encoding: TrlEncoding {
            infectiousness_offset_standard: 1,
            infectiousness_offset_high: 2,
            report_type_offset_recursive: 0,
            report_type_offset_self_report: 2,
            report_type_offset_confirmed_clinical_diagnosis: 4,
            report_type_offset_confirmed_test: 6,
        },
        transmission_risk_value_mapping: (1..)
            .zip(values)
            .map(|(transmission_risk_level, transmission_risk_value)| {
                TransmissionRiskValueMapping {
                    transmission_risk_level,
                    transmission_risk_value,
                }
            })
            .collect(),
    }
}
