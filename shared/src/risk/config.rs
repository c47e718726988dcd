//! The application configuration in JSON (the protobuf's field names, as
//! the apps write them) and its conversion to and from the official
//! protobufs that the server publishes (v1 `ApplicationConfiguration`, v2
//! `ApplicationConfigurationAndroid`). The production values are in [`super::defaults`].

use proto::appconfig as pb;
use proto::appconfig::normalized_time_to_risk_level_mapping::RiskLevel as PbRiskLevel;
use serde::{Deserialize, Serialize};

use super::levels::{Range, RiskLevel};
use super::v1::{
    AttenuationDuration, DurationWeights, RiskScoreClass, RiskScoreClassification,
    RiskScoreParameters, Thresholds, V1Config,
};
use super::v2::{
    MinutesAtAttenuationFilter, MinutesAtAttenuationWeight, NormalizedTimeToRiskLevelMapping,
    RiskCalculationParameters, TransmissionRiskValueMapping, TrlEncoding, TrlFilter,
};

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

/// The framework's score `score` (0 to 8) as the official `RiskLevel` enum
/// number: the score is the number.
fn score(score: u8) -> i32 {
    i32::from(score)
}

impl From<&V1Config> for pb::ApplicationConfiguration {
    /// The version 1 risk parameters; the other fields stay empty.
    fn from(v1: &V1Config) -> Self {
        Self {
            min_risk_score: i32::try_from(v1.min_risk_score).unwrap_or(i32::MAX),
            risk_score_classes: Some(classes_to_pb(&v1.risk_score_classes)),
            exposure_config: Some(scores_to_pb(&v1.exposure_config)),
            attenuation_duration: Some(attenuation_duration_to_pb(&v1.attenuation_duration)),
            ..Self::default()
        }
    }
}

/// The risk classes, field by field.
fn classes_to_pb(classes: &RiskScoreClassification) -> pb::RiskScoreClassification {
    pb::RiskScoreClassification {
        risk_classes: classes
            .risk_classes
            .iter()
            .map(|class| pb::risk_score_classification::RiskScoreClass {
                label: class.label.clone(),
                min: class.min,
                max: class.max,
                url: class.url.clone(),
            })
            .collect(),
    }
}

/// The four score lists as the protobuf's one field per bucket (bucket 0
/// first), with the framework's weights.
fn scores_to_pb(scores: &RiskScoreParameters) -> pb::RiskScoreParameters {
    use pb::risk_score_parameters as scores_pb;
    let [t1, t2, t3, t4, t5, t6, t7, t8] = scores.transmission.map(score);
    let [d1, d2, d3, d4, d5, d6, d7, d8] = scores.duration.map(score);
    let [e1, e2, e3, e4, e5, e6, e7, e8] = scores.days_since_last_exposure.map(score);
    let [a1, a2, a3, a4, a5, a6, a7, a8] = scores.attenuation.map(score);
    pb::RiskScoreParameters {
        transmission: Some(scores_pb::TransmissionRiskParameters {
            app_defined1: t1,
            app_defined2: t2,
            app_defined3: t3,
            app_defined4: t4,
            app_defined5: t5,
            app_defined6: t6,
            app_defined7: t7,
            app_defined8: t8,
        }),
        transmission_weight: scores.transmission_weight,
        duration: Some(scores_pb::DurationRiskParameters {
            eq0_min: d1,
            gt0_le5_min: d2,
            gt5_le10_min: d3,
            gt10_le15_min: d4,
            gt15_le20_min: d5,
            gt20_le25_min: d6,
            gt25_le30_min: d7,
            gt30_min: d8,
        }),
        duration_weight: scores.duration_weight,
        days_since_last_exposure: Some(scores_pb::DaysSinceLastExposureRiskParameters {
            ge14_days: e1,
            ge12_lt14_days: e2,
            ge10_lt12_days: e3,
            ge8_lt10_days: e4,
            ge6_lt8_days: e5,
            ge4_lt6_days: e6,
            ge2_lt4_days: e7,
            ge0_lt2_days: e8,
        }),
        days_weight: scores.days_weight,
        attenuation: Some(scores_pb::AttenuationRiskParameters {
            gt73_dbm: a1,
            gt63_le73_dbm: a2,
            gt51_le63_dbm: a3,
            gt33_le51_dbm: a4,
            gt27_le33_dbm: a5,
            gt15_le27_dbm: a6,
            gt10_le15_dbm: a7,
            le10_dbm: a8,
        }),
        attenuation_weight: scores.attenuation_weight,
    }
}

/// The attenuation buckets' thresholds and weights.
fn attenuation_duration_to_pb(duration: &AttenuationDuration) -> pb::AttenuationDuration {
    pb::AttenuationDuration {
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
            max_encounter_age_in_days: 0,
            transmission_risk_level_multiplier: 0.0,
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

fn scores_from_pb(scores: [i32; 8], list: &'static str) -> Result<[u8; 8], ConfigError> {
    let mut out = [0u8; 8];
    for (slot, score) in out.iter_mut().zip(scores) {
        *slot = u8::try_from(score)
            .ok()
            .filter(|score| *score <= super::v1::MAX_BUCKET_SCORE)
            .ok_or(ConfigError::Score { list, score })?;
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

impl TryFrom<&pb::ApplicationConfiguration> for V1Config {
    type Error = ConfigError;

    /// The version 1 risk parameters of the official v1 configuration. A
    /// missing part is reported before a value out of range.
    fn try_from(config: &pb::ApplicationConfiguration) -> Result<Self, ConfigError> {
        let scores = ScoreParts::of(config)?;
        let duration = present(&config.attenuation_duration, "attenuationDuration")?;
        let thresholds = present(&duration.thresholds, "attenuationDuration.thresholds")?;
        let weights = present(&duration.weights, "attenuationDuration.weights")?;
        let classes = present(&config.risk_score_classes, "riskScoreClasses")?;
        Ok(V1Config {
            min_risk_score: u32::try_from(config.min_risk_score)
                .map_err(|_| ConfigError::MinRiskScore(config.min_risk_score))?,
            risk_score_classes: classes_from_pb(classes),
            exposure_config: scores.read()?,
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
        })
    }
}

/// The risk classes, field by field.
fn classes_from_pb(classes: &pb::RiskScoreClassification) -> RiskScoreClassification {
    RiskScoreClassification {
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
    }
}

/// The parts of `exposureConfig`, each checked present.
struct ScoreParts<'a> {
    scores: &'a pb::RiskScoreParameters,
    transmission: &'a pb::risk_score_parameters::TransmissionRiskParameters,
    duration: &'a pb::risk_score_parameters::DurationRiskParameters,
    days: &'a pb::risk_score_parameters::DaysSinceLastExposureRiskParameters,
    attenuation: &'a pb::risk_score_parameters::AttenuationRiskParameters,
}

impl<'a> ScoreParts<'a> {
    /// The parts of `config`'s `exposureConfig`, or the first one missing.
    fn of(config: &'a pb::ApplicationConfiguration) -> Result<Self, ConfigError> {
        let scores = present(&config.exposure_config, "exposureConfig")?;
        Ok(Self {
            scores,
            transmission: present(&scores.transmission, "exposureConfig.transmission")?,
            duration: present(&scores.duration, "exposureConfig.duration")?,
            days: present(
                &scores.days_since_last_exposure,
                "exposureConfig.daysSinceLastExposure",
            )?,
            attenuation: present(&scores.attenuation, "exposureConfig.attenuation")?,
        })
    }

    /// The four score lists (bucket 0 first, each score 0 to 8) and the
    /// framework's weights.
    fn read(&self) -> Result<RiskScoreParameters, ConfigError> {
        let (transmission, duration) = (self.transmission, self.duration);
        let (days, attenuation) = (self.days, self.attenuation);
        Ok(RiskScoreParameters {
            transmission: scores_from_pb(
                [
                    transmission.app_defined1,
                    transmission.app_defined2,
                    transmission.app_defined3,
                    transmission.app_defined4,
                    transmission.app_defined5,
                    transmission.app_defined6,
                    transmission.app_defined7,
                    transmission.app_defined8,
                ],
                "transmission",
            )?,
            duration: scores_from_pb(
                [
                    duration.eq0_min,
                    duration.gt0_le5_min,
                    duration.gt5_le10_min,
                    duration.gt10_le15_min,
                    duration.gt15_le20_min,
                    duration.gt20_le25_min,
                    duration.gt25_le30_min,
                    duration.gt30_min,
                ],
                "duration",
            )?,
            days_since_last_exposure: scores_from_pb(
                [
                    days.ge14_days,
                    days.ge12_lt14_days,
                    days.ge10_lt12_days,
                    days.ge8_lt10_days,
                    days.ge6_lt8_days,
                    days.ge4_lt6_days,
                    days.ge2_lt4_days,
                    days.ge0_lt2_days,
                ],
                "daysSinceLastExposure",
            )?,
            attenuation: scores_from_pb(
                [
                    attenuation.gt73_dbm,
                    attenuation.gt63_le73_dbm,
                    attenuation.gt51_le63_dbm,
                    attenuation.gt33_le51_dbm,
                    attenuation.gt27_le33_dbm,
                    attenuation.gt15_le27_dbm,
                    attenuation.gt10_le15_dbm,
                    attenuation.le10_dbm,
                ],
                "attenuation",
            )?,
            transmission_weight: self.scores.transmission_weight,
            duration_weight: self.scores.duration_weight,
            days_weight: self.scores.days_weight,
            attenuation_weight: self.scores.attenuation_weight,
        })
    }
}

impl ApplicationConfig {
    /// What the risk calculators need, read from the published
    /// configurations: version 1 from the v1 `ApplicationConfiguration`,
    /// version 2 from `ApplicationConfigurationAndroid` (the iOS one
    /// carries the same `riskCalculationParameters`).
    pub fn from_published(
        v1: &pb::ApplicationConfiguration,
        android: &pb::ApplicationConfigurationAndroid,
    ) -> Result<Self, ConfigError> {
        let parameters = present(
            &android.risk_calculation_parameters,
            "riskCalculationParameters",
        )?;
        Ok(Self {
            v1: V1Config::try_from(v1)?,
            risk_calculation_parameters: RiskCalculationParameters::try_from(parameters)?,
            supported_countries: v1.supported_countries.clone(),
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
