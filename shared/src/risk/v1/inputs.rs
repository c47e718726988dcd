//! The inputs of version 1 in JSON: the configuration (the protobuf's field
//! names) and the exposures file of `warn risk v1`.

use serde::{Deserialize, Serialize};

/// The version 1 part of the application configuration, in JSON with the
/// protobuf's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V1Config {
    /// A total risk score below this leaves the exposure out.
    pub min_risk_score: u32,
    /// The classes of the combined risk score.
    pub risk_score_classes: RiskScoreClassification,
    /// The bucket scores.
    pub exposure_config: RiskScoreParameters,
    /// Thresholds and weights of the attenuation durations.
    pub attenuation_duration: AttenuationDuration,
}

/// Scores of the eight buckets of each input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskScoreParameters {
    /// Scores for transmission risk levels 1 to 8.
    pub transmission: [u8; 8],
    /// Scores for the duration buckets 0 to 7 (0 = none, 7 = over 30 minutes).
    pub duration: [u8; 8],
    /// Scores for the days-since-exposure buckets 0 to 7 (0 = 14 days or more).
    pub days_since_last_exposure: [u8; 8],
    /// Scores for the attenuation buckets 0 to 7 (0 = over 73 dB).
    pub attenuation: [u8; 8],
    /// Weight of the transmission score: carried along, not used (the
    /// framework multiplies the scores alone), like the other weights.
    #[serde(default = "one")]
    pub transmission_weight: f64,
    /// Weight of the duration score (not used).
    #[serde(default = "one")]
    pub duration_weight: f64,
    /// Weight of the days score (not used).
    #[serde(default = "one")]
    pub days_weight: f64,
    /// Weight of the attenuation score (not used).
    #[serde(default = "one")]
    pub attenuation_weight: f64,
}

fn one() -> f64 {
    1.0
}

/// How minutes at attenuations become the exposure score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttenuationDuration {
    /// Attenuation thresholds (dB).
    pub thresholds: Thresholds,
    /// Weights of the three durations.
    pub weights: DurationWeights,
    /// Added to the exposure score.
    pub default_bucket_offset: i32,
    /// Divides the maximum total risk score.
    pub risk_score_normalization_divisor: i32,
}

/// The two attenuation thresholds T0 < T1 (dB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// T0: below it, the "low attenuation" (near) duration.
    pub lower: i32,
    /// T1: at or above it, the "high attenuation" (far) duration.
    pub upper: i32,
}

/// Weights of the durations below T0, between, at or above T1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DurationWeights {
    /// Below T0.
    pub low: f64,
    /// Between T0 and T1.
    pub mid: f64,
    /// At or above T1.
    pub high: f64,
}

/// The risk classes of the combined risk score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskScoreClassification {
    /// The classes; ranges `[min, max)`, the last one `[min, max]`.
    pub risk_classes: Vec<RiskScoreClass>,
}

/// One risk class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskScoreClass {
    /// Its name (`LOW`, `HIGH`).
    pub label: String,
    /// Lowest combined risk score of the class (inclusive).
    pub min: i32,
    /// Upper end (exclusive, except for the last class).
    pub max: i32,
    /// A page explaining it.
    #[serde(default)]
    pub url: String,
}

/// One exposure: a day, the key's TRL and the minutes at each attenuation.
/// The JSON shape of `warn risk v1 --exposures`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    /// Days between the exposure and today.
    pub days_since_exposure: u32,
    /// The diagnosis key's transmission risk level, 1 to 8.
    pub transmission_risk_level: u8,
    /// Time spent at each attenuation.
    pub attenuations: Vec<AttenuationMinutes>,
}

/// Minutes at one attenuation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AttenuationMinutes {
    /// Attenuation in dB.
    pub attenuation: f64,
    /// Minutes at it.
    pub minutes: f64,
}

/// The exposures file of `warn risk v1`: `{"exposures": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposuresFile {
    /// The exposures.
    pub exposures: Vec<Exposure>,
}
