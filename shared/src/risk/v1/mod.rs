//! Risk by the model of the reference architecture (version 1, SPEC
//! section 8): the framework's `ENExposureConfiguration` and CWA's combined
//! risk score.
//!
//! Per exposure, attenuation, days since exposure, duration and
//! transmission risk level each fall into one of eight buckets with a score
//! from 0 to 8; the total risk score is the product of the four. Exposures
//! below the minimum risk score are left out, as the framework leaves them
//! out of its summary. The remaining exposures give the maximum total risk
//! score and the attenuation durations (minutes below the lower threshold,
//! between, at or above the upper, each capped at 30). Then
//! `exposure score = w_low·d0 + w_mid·d1 + w_high·d2 + offset` and
//! `combined risk score = max total risk score / divisor · exposure score`,
//! rounded to 2 decimals; its risk class is the class whose range holds it.
//!
//! The input is a list of exposures, each with its day and TRL and the
//! minutes it spent at each attenuation ([`Exposure`], see [`inputs`] for
//! the JSON shapes); [`V1Config::calculate`] returns every intermediate
//! value ([`Calculation`]).

use serde::Serialize;

use super::levels::round_to;

pub mod inputs;

pub use inputs::{
    AttenuationDuration, AttenuationMinutes, DurationWeights, Exposure, ExposuresFile,
    RiskScoreClass, RiskScoreClassification, RiskScoreParameters, Thresholds, V1Config,
};

/// Minutes at which each attenuation duration is capped (the framework's limit).
pub const MAX_ATTENUATION_DURATION_MINUTES: f64 = 30.0;
/// The highest score a bucket can have.
pub const MAX_BUCKET_SCORE: u8 = 8;

/// Input the calculation cannot use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum V1Error {
    /// A bucket score above 8.
    #[error("{list} score of bucket {bucket} must be 0 to 8, got {score}")]
    Score {
        /// Which list (`transmission`, `duration`, ...).
        list: &'static str,
        /// Its position.
        bucket: usize,
        /// The value.
        score: u8,
    },
    /// A normalization divisor that is not positive.
    #[error("riskScoreNormalizationDivisor must be positive, got {0}")]
    Divisor(i32),
    /// Thresholds not in order.
    #[error("attenuation thresholds must satisfy lower <= upper, got {lower} and {upper}")]
    Thresholds {
        /// T0.
        lower: i32,
        /// T1.
        upper: i32,
    },
    /// A TRL outside 1..=8.
    #[error("exposure {exposure}: transmission risk level must be 1 to 8, got {level}")]
    TransmissionRiskLevel {
        /// Position of the exposure.
        exposure: usize,
        /// The value.
        level: u8,
    },
    /// Minutes or attenuation that are negative, infinite or not a number.
    #[error(
        "exposure {exposure}: attenuation {attenuation} dB for {minutes} minutes is not a finite attenuation and a non-negative duration"
    )]
    Attenuation {
        /// Position of the exposure.
        exposure: usize,
        /// The attenuation.
        attenuation: f64,
        /// The minutes.
        minutes: f64,
    },
}

/// A bucket and its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// 0 to 7.
    pub bucket: u8,
    /// Its score from the configuration.
    pub score: u8,
}

/// Every intermediate value of one exposure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposureSteps {
    /// Position of the exposure in the input.
    pub index: usize,
    /// Duration-weighted mean attenuation (dB); 0 without minutes.
    pub attenuation: f64,
    /// Total minutes.
    pub duration_minutes: f64,
    /// Attenuation bucket and score.
    pub attenuation_score: Bucket,
    /// Days-since-exposure bucket and score.
    pub days_score: Bucket,
    /// Duration bucket and score.
    pub duration_score: Bucket,
    /// Transmission bucket and score.
    pub transmission_score: Bucket,
    /// Product of the four scores (0 to 4096).
    pub total_risk_score: u32,
    /// Whether it reaches the minimum risk score (otherwise left out).
    pub counted: bool,
    /// Minutes below T0, between, at or above T1 (not capped).
    pub attenuation_durations: [f64; 3],
}

/// The combination of the maximum score with the attenuation durations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CombinedScore {
    /// The durations, each capped at 30 minutes.
    pub attenuation_durations: [f64; 3],
    /// `w_low·d0 + w_mid·d1 + w_high·d2 + offset`.
    pub exposure_score: f64,
    /// `max total risk score / divisor`.
    pub normalized_max_risk_score: f64,
    /// Their product, rounded to 2 decimals.
    pub combined_risk_score: f64,
}

/// The whole calculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calculation {
    /// Per exposure.
    pub exposures: Vec<ExposureSteps>,
    /// Highest total risk score among counted exposures.
    pub maximum_risk_score: u32,
    /// Attenuation durations summed over counted exposures (not capped).
    pub summed_attenuation_durations: [f64; 3],
    /// The combination.
    pub combined: CombinedScore,
    /// Label of the class whose range holds the combined risk score.
    pub risk_class: Option<String>,
}

/// Attenuation bucket: 0 for A > 73 dB … 7 for A ≤ 10 dB.
pub fn attenuation_bucket(attenuation: f64) -> u8 {
    const UPPER_BOUNDS: [f64; 7] = [10.0, 15.0, 27.0, 33.0, 51.0, 63.0, 73.0];
    7 - UPPER_BOUNDS
        .iter()
        .take_while(|bound| attenuation > **bound)
        .count() as u8
}

/// Days bucket: 0 for 14 days or more … 7 for 0 or 1 day.
pub fn days_bucket(days: u32) -> u8 {
    const LOWER_BOUNDS: [u32; 7] = [14, 12, 10, 8, 6, 4, 2];
    LOWER_BOUNDS
        .iter()
        .position(|bound| days >= *bound)
        .map_or(7, |position| position as u8)
}

/// Duration bucket: 0 for no time, 1 up to 5 minutes … 7 over 30 minutes.
pub fn duration_bucket(minutes: f64) -> u8 {
    if minutes <= 0.0 {
        return 0;
    }
    const UPPER_BOUNDS: [f64; 6] = [5.0, 10.0, 15.0, 20.0, 25.0, 30.0];
    1 + UPPER_BOUNDS
        .iter()
        .take_while(|bound| minutes > **bound)
        .count() as u8
}

impl V1Config {
    /// Checks the scores, thresholds and divisor.
    pub fn validate(&self) -> Result<(), V1Error> {
        let lists = [
            ("transmission", &self.exposure_config.transmission),
            ("duration", &self.exposure_config.duration),
            (
                "daysSinceLastExposure",
                &self.exposure_config.days_since_last_exposure,
            ),
            ("attenuation", &self.exposure_config.attenuation),
        ];
        for (list, scores) in lists {
            if let Some(bucket) = scores.iter().position(|score| *score > MAX_BUCKET_SCORE) {
                return Err(V1Error::Score {
                    list,
                    bucket,
                    score: scores[bucket],
                });
            }
        }
        let attenuation_duration = &self.attenuation_duration;
        if attenuation_duration.risk_score_normalization_divisor <= 0 {
            return Err(V1Error::Divisor(
                attenuation_duration.risk_score_normalization_divisor,
            ));
        }
        let Thresholds { lower, upper } = attenuation_duration.thresholds;
        if lower > upper {
            return Err(V1Error::Thresholds { lower, upper });
        }
        Ok(())
    }

    /// Every value of one exposure.
    pub fn exposure_steps(
        &self,
        exposure: &Exposure,
        index: usize,
    ) -> Result<ExposureSteps, V1Error> {
        let scores = &self.exposure_config;
        let bucket = |bucket: u8, scores: &[u8; 8]| Bucket {
            bucket,
            score: scores[usize::from(bucket)],
        };
        if !(1..=8).contains(&exposure.transmission_risk_level) {
            return Err(V1Error::TransmissionRiskLevel {
                exposure: index,
                level: exposure.transmission_risk_level,
            });
        }
        let Thresholds { lower, upper } = self.attenuation_duration.thresholds;
        let mut durations = [0.0; 3];
        let mut minutes = 0.0;
        let mut weighted = 0.0;
        for entry in &exposure.attenuations {
            if !entry.attenuation.is_finite() || !entry.minutes.is_finite() || entry.minutes < 0.0 {
                return Err(V1Error::Attenuation {
                    exposure: index,
                    attenuation: entry.attenuation,
                    minutes: entry.minutes,
                });
            }
            let slot = if entry.attenuation < f64::from(lower) {
                0
            } else if entry.attenuation < f64::from(upper) {
                1
            } else {
                2
            };
            durations[slot] += entry.minutes;
            minutes += entry.minutes;
            weighted += entry.attenuation * entry.minutes;
        }
        let attenuation = if minutes > 0.0 {
            weighted / minutes
        } else {
            0.0
        };
        let attenuation_score = bucket(attenuation_bucket(attenuation), &scores.attenuation);
        let days_score = bucket(
            days_bucket(exposure.days_since_exposure),
            &scores.days_since_last_exposure,
        );
        let duration_score = bucket(duration_bucket(minutes), &scores.duration);
        let transmission_score = bucket(exposure.transmission_risk_level - 1, &scores.transmission);
        let total_risk_score = [
            attenuation_score,
            days_score,
            duration_score,
            transmission_score,
        ]
        .iter()
        .map(|bucket| u32::from(bucket.score))
        .product();
        Ok(ExposureSteps {
            index,
            attenuation,
            duration_minutes: minutes,
            attenuation_score,
            days_score,
            duration_score,
            transmission_score,
            total_risk_score,
            counted: total_risk_score >= self.min_risk_score,
            attenuation_durations: durations,
        })
    }

    /// The combined risk score of a maximum total risk score and the summed
    /// attenuation durations (capped here at 30 minutes each).
    pub fn combine(&self, maximum_risk_score: u32, durations: [f64; 3]) -> CombinedScore {
        let config = &self.attenuation_duration;
        let capped = durations.map(|minutes| minutes.clamp(0.0, MAX_ATTENUATION_DURATION_MINUTES));
        let weights = config.weights;
        let exposure_score = weights.low * capped[0]
            + weights.mid * capped[1]
            + weights.high * capped[2]
            + f64::from(config.default_bucket_offset);
        let normalized_max_risk_score =
            f64::from(maximum_risk_score) / f64::from(config.risk_score_normalization_divisor);
        CombinedScore {
            attenuation_durations: capped,
            exposure_score,
            normalized_max_risk_score,
            combined_risk_score: round_to(normalized_max_risk_score * exposure_score, 2),
        }
    }

    /// The class whose range holds a combined risk score: `[min, max)`,
    /// the last class `[min, max]`.
    pub fn risk_class(&self, combined_risk_score: f64) -> Option<&RiskScoreClass> {
        let classes = &self.risk_score_classes.risk_classes;
        classes.iter().enumerate().find_map(|(index, class)| {
            let last = index + 1 == classes.len();
            let above = combined_risk_score >= f64::from(class.min);
            let below = if last {
                combined_risk_score <= f64::from(class.max)
            } else {
                combined_risk_score < f64::from(class.max)
            };
            (above && below).then_some(class)
        })
    }

    /// Runs every step for the exposures.
    pub fn calculate(&self, exposures: &[Exposure]) -> Result<Calculation, V1Error> {
        self.validate()?;
        let steps = exposures
            .iter()
            .enumerate()
            .map(|(index, exposure)| self.exposure_steps(exposure, index))
            .collect::<Result<Vec<_>, _>>()?;
        let counted = || steps.iter().filter(|step| step.counted);
        let maximum_risk_score = counted()
            .map(|step| step.total_risk_score)
            .max()
            .unwrap_or(0);
        let mut summed = [0.0; 3];
        for step in counted() {
            for (sum, minutes) in summed.iter_mut().zip(step.attenuation_durations) {
                *sum += minutes;
            }
        }
        let combined = self.combine(maximum_risk_score, summed);
        let risk_class = self
            .risk_class(combined.combined_risk_score)
            .map(|class| class.label.clone());
        Ok(Calculation {
            exposures: steps,
            maximum_risk_score,
            summed_attenuation_durations: summed,
            combined,
            risk_class,
        })
    }
}
