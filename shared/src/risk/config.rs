//! The application configuration in JSON (the protobuf's field names, as
//! the apps write them) and its conversion to and from the protobuf that
//! the server publishes. The production values are in [`super::defaults`].

use proto::appconfig as pb;
use proto::appconfig::normalized_time_to_risk_level_mapping::RiskLevel as PbRiskLevel;
use serde::{Deserialize, Serialize};

use super::v1::{
    AttenuationDuration, DurationWeights, RiskScoreClass, RiskScoreClassification,
    RiskScoreParameters, Thresholds, V1Config,
};
use super::v2::{
    MinutesAtAttenuationFilter, MinutesAtAttenuationWeight, NormalizedTimeToRiskLevelMapping,
    RiskCalculationParameters, TransmissionRiskValueMapping, TrlEncoding, TrlFilter,
};
use super::{Range, RiskLevel};

/// The whole application configuration: version 1 fields at the top level,
/// version 2 under `riskCalculationParameters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationConfig {
    /// Version 1.
    #[serde(flatten)]
    pub v1: V1Config,
    /// Version 2.
    pub risk_calculation_parameters: RiskCalculationParameters,
    /// Countries whose keys the server exchanges (ISO 3166 alpha-2).
    #[serde(default)]
    pub supported_countries: Vec<String>,
}

/// A protobuf configuration that lacks a part or holds a value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A message field that must be present is absent.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A score list without exactly 8 values.
    #[error("exposureConfig.{list} must hold 8 scores, got {count}")]
    ScoreCount {
        /// Which list.
        list: &'static str,
        /// How many it holds.
        count: usize,
    },
    /// A score outside 0..=8.
    #[error("exposureConfig.{list} scores must be 0 to 8, got {score}")]
    Score {
        /// Which list.
        list: &'static str,
        /// The value.
        score: i32,
    },
    /// A negative minimum risk score.
    #[error("minRiskScore must not be negative, got {0}")]
    MinRiskScore(i32),
    /// A risk level other than LOW or HIGH.
    #[error("{table}: risk level must be LOW (1) or HIGH (2), got {code}")]
    RiskLevel {
        /// Which table.
        table: &'static str,
        /// The value.
        code: i32,
    },
}

// JSON → protobuf: every value fits.

impl From<&ApplicationConfig> for pb::ApplicationConfiguration {
    fn from(config: &ApplicationConfig) -> Self {
        let v1 = &config.v1;
        let scores = &v1.exposure_config;
        let list = |scores: &[u8; 8]| scores.iter().map(|score| i32::from(*score)).collect();
        let duration = &v1.attenuation_duration;
        Self {
            min_risk_score: i32::try_from(v1.min_risk_score).unwrap_or(i32::MAX),
            risk_score_classes: Some(pb::RiskScoreClassification {
                risk_classes: v1
                    .risk_score_classes
                    .risk_classes
                    .iter()
                    .map(|class| pb::risk_score_classification::RiskScoreClass {
                        label: class.label.clone(),
                        min: class.min,
                        max: class.max,
                        url: class.url.clone(),
                    })
                    .collect(),
            }),
            exposure_config: Some(pb::RiskScoreParameters {
                transmission: list(&scores.transmission),
                transmission_weight: scores.transmission_weight,
                duration: list(&scores.duration),
                duration_weight: scores.duration_weight,
                days_since_last_exposure: list(&scores.days_since_last_exposure),
                days_weight: scores.days_weight,
                attenuation: list(&scores.attenuation),
                attenuation_weight: scores.attenuation_weight,
            }),
            attenuation_duration: Some(pb::AttenuationDuration {
                thresholds: Some(pb::attenuation_duration::Thresholds {
                    lower: duration.thresholds.lower,
                    upper: duration.thresholds.upper,
                }),
                weights: Some(pb::attenuation_duration::Weights {
                    low: duration.weights.low,
                    mid: duration.weights.mid,
                    high: duration.weights.high,
                }),
                default_bucket_offset: duration.default_bucket_offset,
                risk_score_normalization_divisor: duration.risk_score_normalization_divisor,
            }),
            risk_calculation_parameters: Some(pb::RiskCalculationParameters::from(
                &config.risk_calculation_parameters,
            )),
            supported_countries: config.supported_countries.clone(),
        }
    }
}

fn range_to_pb(range: &Range) -> Option<pb::Range> {
    Some(pb::Range {
        min: range.min,
        max: range.max,
        min_exclusive: range.min_exclusive,
        max_exclusive: range.max_exclusive,
    })
}

fn level_to_pb(level: RiskLevel) -> i32 {
    match level {
        RiskLevel::Low => PbRiskLevel::Low as i32,
        RiskLevel::High => PbRiskLevel::High as i32,
    }
}

fn levels_to_pb(
    table: &[NormalizedTimeToRiskLevelMapping],
) -> Vec<pb::NormalizedTimeToRiskLevelMapping> {
    table
        .iter()
        .map(|mapping| pb::NormalizedTimeToRiskLevelMapping {
            normalized_time_range: range_to_pb(&mapping.normalized_time_range),
            risk_level: level_to_pb(mapping.risk_level),
        })
        .collect()
}

impl From<&RiskCalculationParameters> for pb::RiskCalculationParameters {
    fn from(parameters: &RiskCalculationParameters) -> Self {
        let encoding = parameters.trl_encoding;
        Self {
            minutes_at_attenuation_filters: parameters
                .minutes_at_attenuation_filters
                .iter()
                .map(|filter| pb::MinutesAtAttenuationFilter {
                    attenuation_range: range_to_pb(&filter.attenuation_range),
                    drop_if_minutes_in_range: range_to_pb(&filter.drop_if_minutes_in_range),
                })
                .collect(),
            trl_filters: parameters
                .trl_filters
                .iter()
                .map(|filter| pb::TrlFilter {
                    drop_if_trl_in_range: range_to_pb(&filter.drop_if_trl_in_range),
                })
                .collect(),
            minutes_at_attenuation_weights: parameters
                .minutes_at_attenuation_weights
                .iter()
                .map(|weight| pb::MinutesAtAttenuationWeight {
                    attenuation_range: range_to_pb(&weight.attenuation_range),
                    weight: weight.weight,
                })
                .collect(),
            normalized_time_per_ew_to_risk_level_mapping: levels_to_pb(
                &parameters.normalized_time_per_ew_to_risk_level_mapping,
            ),
            normalized_time_per_day_to_risk_level_mapping: levels_to_pb(
                &parameters.normalized_time_per_day_to_risk_level_mapping,
            ),
            trl_encoding: Some(pb::TransmissionRiskLevelEncoding {
                infectiousness_offset_standard: encoding.infectiousness_offset_standard,
                infectiousness_offset_high: encoding.infectiousness_offset_high,
                report_type_offset_recursive: encoding.report_type_offset_recursive,
                report_type_offset_self_report: encoding.report_type_offset_self_report,
                report_type_offset_confirmed_clinical_diagnosis: encoding
                    .report_type_offset_confirmed_clinical_diagnosis,
                report_type_offset_confirmed_test: encoding.report_type_offset_confirmed_test,
            }),
            transmission_risk_value_mapping: parameters
                .transmission_risk_value_mapping
                .iter()
                .map(|mapping| pb::TransmissionRiskValueMapping {
                    transmission_risk_level: mapping.transmission_risk_level,
                    transmission_risk_value: mapping.transmission_risk_value,
                })
                .collect(),
        }
    }
}

// Protobuf → JSON: proto3 message fields may be absent, lists of any length.

fn present<'a, T>(field: &'a Option<T>, name: &'static str) -> Result<&'a T, ConfigError> {
    field.as_ref().ok_or(ConfigError::Missing(name))
}

fn range_from_pb(range: &Option<pb::Range>, name: &'static str) -> Result<Range, ConfigError> {
    let range = present(range, name)?;
    Ok(Range {
        min: range.min,
        max: range.max,
        min_exclusive: range.min_exclusive,
        max_exclusive: range.max_exclusive,
    })
}

fn scores_from_pb(scores: &[i32], list: &'static str) -> Result<[u8; 8], ConfigError> {
    let scores: &[i32; 8] = scores.try_into().map_err(|_| ConfigError::ScoreCount {
        list,
        count: scores.len(),
    })?;
    let mut out = [0u8; 8];
    for (slot, score) in out.iter_mut().zip(scores) {
        *slot = u8::try_from(*score)
            .ok()
            .filter(|score| *score <= super::v1::MAX_BUCKET_SCORE)
            .ok_or(ConfigError::Score {
                list,
                score: *score,
            })?;
    }
    Ok(out)
}

fn levels_from_pb(
    table: &[pb::NormalizedTimeToRiskLevelMapping],
    name: &'static str,
) -> Result<Vec<NormalizedTimeToRiskLevelMapping>, ConfigError> {
    table
        .iter()
        .map(|mapping| {
            let risk_level = match PbRiskLevel::try_from(mapping.risk_level) {
                Ok(PbRiskLevel::Low) => RiskLevel::Low,
                Ok(PbRiskLevel::High) => RiskLevel::High,
                _ => {
                    return Err(ConfigError::RiskLevel {
                        table: name,
                        code: mapping.risk_level,
                    });
                }
            };
            Ok(NormalizedTimeToRiskLevelMapping {
                normalized_time_range: range_from_pb(&mapping.normalized_time_range, name)?,
                risk_level,
            })
        })
        .collect()
}

impl TryFrom<&pb::ApplicationConfiguration> for ApplicationConfig {
    type Error = ConfigError;

    fn try_from(config: &pb::ApplicationConfiguration) -> Result<Self, ConfigError> {
        let scores = present(&config.exposure_config, "exposureConfig")?;
        let duration = present(&config.attenuation_duration, "attenuationDuration")?;
        let thresholds = present(&duration.thresholds, "attenuationDuration.thresholds")?;
        let weights = present(&duration.weights, "attenuationDuration.weights")?;
        let classes = present(&config.risk_score_classes, "riskScoreClasses")?;
        let v1 = V1Config {
            min_risk_score: u32::try_from(config.min_risk_score)
                .map_err(|_| ConfigError::MinRiskScore(config.min_risk_score))?,
            risk_score_classes: RiskScoreClassification {
                risk_classes: classes
                    .risk_classes
                    .iter()
                    .map(|class| RiskScoreClass {
                        label: class.label.clone(),
                        min: class.min,
                        max: class.max,
                        url: class.url.clone(),
                    })
                    .collect(),
            },
            exposure_config: RiskScoreParameters {
                transmission: scores_from_pb(&scores.transmission, "transmission")?,
                duration: scores_from_pb(&scores.duration, "duration")?,
                days_since_last_exposure: scores_from_pb(
                    &scores.days_since_last_exposure,
                    "daysSinceLastExposure",
                )?,
                attenuation: scores_from_pb(&scores.attenuation, "attenuation")?,
                transmission_weight: scores.transmission_weight,
                duration_weight: scores.duration_weight,
                days_weight: scores.days_weight,
                attenuation_weight: scores.attenuation_weight,
            },
            attenuation_duration: AttenuationDuration {
                thresholds: Thresholds {
                    lower: thresholds.lower,
                    upper: thresholds.upper,
                },
                weights: DurationWeights {
                    low: weights.low,
                    mid: weights.mid,
                    high: weights.high,
                },
                default_bucket_offset: duration.default_bucket_offset,
                risk_score_normalization_divisor: duration.risk_score_normalization_divisor,
            },
        };
        let parameters = present(
            &config.risk_calculation_parameters,
            "riskCalculationParameters",
        )?;
        Ok(Self {
            v1,
            risk_calculation_parameters: RiskCalculationParameters::try_from(parameters)?,
            supported_countries: config.supported_countries.clone(),
        })
    }
}

impl TryFrom<&pb::RiskCalculationParameters> for RiskCalculationParameters {
    type Error = ConfigError;

    fn try_from(parameters: &pb::RiskCalculationParameters) -> Result<Self, ConfigError> {
        let encoding = present(
            &parameters.trl_encoding,
            "riskCalculationParameters.trlEncoding",
        )?;
        Ok(Self {
            minutes_at_attenuation_filters: parameters
                .minutes_at_attenuation_filters
                .iter()
                .map(|filter| {
                    Ok(MinutesAtAttenuationFilter {
                        attenuation_range: range_from_pb(
                            &filter.attenuation_range,
                            "minutesAtAttenuationFilters.attenuationRange",
                        )?,
                        drop_if_minutes_in_range: range_from_pb(
                            &filter.drop_if_minutes_in_range,
                            "minutesAtAttenuationFilters.dropIfMinutesInRange",
                        )?,
                    })
                })
                .collect::<Result<_, ConfigError>>()?,
            trl_filters: parameters
                .trl_filters
                .iter()
                .map(|filter| {
                    Ok(TrlFilter {
                        drop_if_trl_in_range: range_from_pb(
                            &filter.drop_if_trl_in_range,
                            "trlFilters.dropIfTrlInRange",
                        )?,
                    })
                })
                .collect::<Result<_, ConfigError>>()?,
            minutes_at_attenuation_weights: parameters
                .minutes_at_attenuation_weights
                .iter()
                .map(|weight| {
                    Ok(MinutesAtAttenuationWeight {
                        attenuation_range: range_from_pb(
                            &weight.attenuation_range,
                            "minutesAtAttenuationWeights.attenuationRange",
                        )?,
                        weight: weight.weight,
                    })
                })
                .collect::<Result<_, ConfigError>>()?,
            normalized_time_per_ew_to_risk_level_mapping: levels_from_pb(
                &parameters.normalized_time_per_ew_to_risk_level_mapping,
                "normalizedTimePerEWToRiskLevelMapping",
            )?,
            normalized_time_per_day_to_risk_level_mapping: levels_from_pb(
                &parameters.normalized_time_per_day_to_risk_level_mapping,
                "normalizedTimePerDayToRiskLevelMapping",
            )?,
            trl_encoding: TrlEncoding {
                infectiousness_offset_standard: encoding.infectiousness_offset_standard,
                infectiousness_offset_high: encoding.infectiousness_offset_high,
                report_type_offset_recursive: encoding.report_type_offset_recursive,
                report_type_offset_self_report: encoding.report_type_offset_self_report,
                report_type_offset_confirmed_clinical_diagnosis: encoding
                    .report_type_offset_confirmed_clinical_diagnosis,
                report_type_offset_confirmed_test: encoding.report_type_offset_confirmed_test,
            },
            transmission_risk_value_mapping: parameters
                .transmission_risk_value_mapping
                .iter()
                .map(|mapping| TransmissionRiskValueMapping {
                    transmission_risk_level: mapping.transmission_risk_level,
                    transmission_risk_value: mapping.transmission_risk_value,
                })
                .collect(),
        })
    }
}
