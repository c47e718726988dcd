//! The configuration an operator publishes: one document (the server reads
//! it from a TOML or JSON file, over its defaults) from which the three
//! signed configurations are built: v1 `ApplicationConfiguration`, and the
//! `ApplicationConfigurationAndroid` and `ApplicationConfigurationIOS` that
//! the released apps read. Keys are the official protobuf field names.
//!
//! The defaults are cwa-server's `services/distribution/src/main/resources/
//! main-config/*.yaml` (see the server's defaults file).

use std::collections::BTreeMap;

use proto::appconfig as pb;
use serde::{Deserialize, Serialize};

use super::v1::V1Config;
use super::v2::RiskCalculationParameters;
use crate::publication::DiagnosisKeysDataMapping;

/// The whole published configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishedConfig {
    /// Keys with a lower transmission risk level are not published
    /// (cwa-server's `minimum-trl-value-allowed`).
    pub minimum_trl_value_allowed: u8,
    /// Countries the apps offer (ISO 3166 alpha-2); empty: the server's
    /// supported countries.
    #[serde(default)]
    pub supported_countries: Vec<String>,
    /// Feature flags by label.
    #[serde(default)]
    pub app_features: Vec<AppFeature>,
    /// The app versions: older ones must update.
    pub app_version: AppVersions,
    /// Version 1 risk parameters.
    pub v1: V1Config,
    /// Version 2 risk parameters (both apps).
    pub risk_calculation_parameters: RiskCalculationParameters,
    /// Days an exposure window counts (0: the apps' own default, 14).
    pub max_encounter_age_in_days: u32,
    /// How the Android framework reads published keys.
    pub diagnosis_keys_data_mapping: DataMapping,
    /// Android's `DailySummariesConfig`.
    pub daily_summaries_config: DailySummariesConfig,
    /// iOS's `ExposureConfiguration`.
    pub exposure_configuration: ExposureConfiguration,
    /// Key download timeouts.
    pub key_download_parameters: KeyDownloadParameters,
    /// Exposure detection limits.
    pub exposure_detection_parameters: ExposureDetectionParameters,
}

/// One feature flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppFeature {
    /// Its label.
    pub label: String,
    /// Its value.
    pub value: i32,
}

/// The app versions of both platforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppVersions {
    /// iOS: semantic versions `major.minor.patch`.
    pub ios: VersionInfo,
    /// Android: semantic versions (v1 configuration) and version codes (v2).
    pub android: VersionInfo,
    /// Android's oldest version code that may run.
    pub min_android_version_code: i64,
    /// Android's latest version code.
    pub latest_android_version_code: i64,
}

/// The latest and the oldest allowed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfo {
    /// `major.minor.patch`.
    pub latest: String,
    /// `major.minor.patch`.
    pub min: String,
}

/// [`DiagnosisKeysDataMapping`] with its map keyed by strings, as TOML
/// tables are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataMapping {
    /// Days since onset → infectiousness (0 none, 1 standard, 2 high).
    pub days_since_onset_to_infectiousness: BTreeMap<String, i32>,
    /// Infectiousness of a key without days since onset.
    pub infectiousness_when_days_since_onset_missing: i32,
    /// Report type given to a key without one.
    pub report_type_when_missing: i32,
}

/// Android's `DailySummariesConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DailySummariesConfig {
    /// Attenuation bucket thresholds (dB).
    pub attenuation_bucket_threshold_db: Vec<i32>,
    /// One weight per bucket.
    pub attenuation_bucket_weights: Vec<f64>,
    /// Days since exposure threshold.
    pub days_since_exposure_threshold: i32,
    /// Infectiousness → weight.
    pub infectiousness_weights: BTreeMap<String, f64>,
    /// Windows below this score are ignored.
    pub minimum_window_score: f64,
    /// Report type → weight.
    pub report_type_weights: BTreeMap<String, f64>,
}

/// iOS's `ExposureConfiguration` (Exposure Notification v2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)] // the framework's own field names
pub struct ExposureConfiguration {
    pub infectiousness_for_days_since_onset_of_symptoms: BTreeMap<String, i32>,
    pub report_type_none_map: i32,
    pub attenuation_duration_thresholds: Vec<i32>,
    pub immediate_duration_weight: f64,
    pub medium_duration_weight: f64,
    pub near_duration_weight: f64,
    pub other_duration_weight: f64,
    pub days_since_last_exposure_threshold: i32,
    pub infectiousness_standard_weight: f64,
    pub infectiousness_high_weight: f64,
    pub report_type_confirmed_test_weight: f64,
    pub report_type_confirmed_clinical_diagnosis_weight: f64,
    pub report_type_self_reported_weight: f64,
    pub report_type_recursive_weight: f64,
}

/// Key download timeouts (Android only; iOS has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyDownloadParameters {
    /// Seconds one download may take.
    pub download_timeout_in_seconds: i32,
    /// Seconds all downloads may take.
    pub overall_timeout_in_seconds: i32,
}

/// Exposure detection limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExposureDetectionParameters {
    /// Detections per day on iOS.
    pub max_exposure_detections_per_interval_ios: i32,
    /// Detections per day on Android.
    pub max_exposure_detections_per_interval_android: i32,
    /// Seconds one detection may take on Android.
    pub overall_timeout_in_seconds_android: i32,
}

/// A value of the document that cannot be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishedConfigError {
    /// A version that is not `major.minor.patch`.
    #[error("{field}: {value:?} is not a version major.minor.patch")]
    Version {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A map key that is not a number.
    #[error("{field}: key {key:?} is not a whole number")]
    MapKey {
        /// Which map.
        field: &'static str,
        /// The key.
        key: String,
    },
    /// A transmission risk level outside 0..=8.
    #[error("minimumTrlValueAllowed must be 0 to 8, got {0}")]
    MinimumTrl(u8),
}

fn version(text: &str, field: &'static str) -> Result<pb::SemanticVersion, PublishedConfigError> {
    let parts: Vec<Option<u32>> = text.split('.').map(|part| part.parse().ok()).collect();
    match parts.as_slice() {
        [Some(major), Some(minor), Some(patch)] => Ok(pb::SemanticVersion {
            major: *major,
            minor: *minor,
            patch: *patch,
        }),
        _ => Err(PublishedConfigError::Version {
            field,
            value: text.to_owned(),
        }),
    }
}

fn int_keys<V: Copy>(
    map: &BTreeMap<String, V>,
    field: &'static str,
) -> Result<std::collections::BTreeMap<i32, V>, PublishedConfigError> {
    map.iter()
        .map(|(key, value)| {
            key.trim()
                .parse::<i32>()
                .map(|key| (key, *value))
                .map_err(|_| PublishedConfigError::MapKey {
                    field,
                    key: key.clone(),
                })
        })
        .collect()
}

/// The three encoded configurations of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Configurations {
    /// `/version/v1/configuration/country/{home}/app_config`.
    pub v1: pb::ApplicationConfiguration,
    /// `/version/v2/app_config_android`.
    pub android: pb::ApplicationConfigurationAndroid,
    /// `/version/v2/app_config_ios`.
    pub ios: pb::ApplicationConfigurationIos,
}

/// What the three configurations carry alike, built once from the
/// document.
struct Common {
    /// `supportedCountries` (or the server's).
    countries: Vec<String>,
    /// The feature flags.
    features: pb::AppFeatures,
    /// Android's key download timeouts (iOS has none).
    android_download: pb::KeyDownloadParametersAndroid,
    /// iOS's exposure detection limits.
    ios_detection: pb::ExposureDetectionParametersIos,
    /// Android's exposure detection limits.
    android_detection: pb::ExposureDetectionParametersAndroid,
    /// The version 2 risk parameters with `maxEncounterAgeInDays`.
    risk: pb::RiskCalculationParameters,
}

impl PublishedConfig {
    /// Checks every value and builds the three configurations;
    /// `supported` stands in for an empty `supportedCountries`. A value
    /// that cannot be published is reported in the order v1, Android, iOS.
    pub fn build(&self, supported: &[String]) -> Result<Configurations, PublishedConfigError> {
        if self.minimum_trl_value_allowed > crate::keys::MAX_TRANSMISSION_RISK_LEVEL {
            return Err(PublishedConfigError::MinimumTrl(
                self.minimum_trl_value_allowed,
            ));
        }
        let common = self.common(supported);
        Ok(Configurations {
            v1: self.v1_configuration(&common)?,
            android: self.android_configuration(&common)?,
            ios: self.ios_configuration(common)?,
        })
    }

    /// The parts every configuration carries: countries, feature flags,
    /// timeouts and detection limits, the version 2 risk parameters.
    fn common(&self, supported: &[String]) -> Common {
        let countries = if self.supported_countries.is_empty() {
            supported.to_vec()
        } else {
            self.supported_countries.clone()
        };
        let features = pb::AppFeatures {
            app_features: self
                .app_features
                .iter()
                .map(|feature| pb::AppFeature {
                    label: feature.label.clone(),
                    value: feature.value,
                })
                .collect(),
        };
        let timeouts = &self.key_download_parameters;
        let detection = &self.exposure_detection_parameters;
        Common {
            countries,
            features,
            android_download: pb::KeyDownloadParametersAndroid {
                download_timeout_in_seconds: timeouts.download_timeout_in_seconds,
                overall_timeout_in_seconds: timeouts.overall_timeout_in_seconds,
                ..Default::default()
            },
            ios_detection: pb::ExposureDetectionParametersIos {
                max_exposure_detections_per_interval: detection
                    .max_exposure_detections_per_interval_ios,
            },
            android_detection: pb::ExposureDetectionParametersAndroid {
                max_exposure_detections_per_interval: detection
                    .max_exposure_detections_per_interval_android,
                overall_timeout_in_seconds: detection.overall_timeout_in_seconds_android,
            },
            risk: pb::RiskCalculationParameters {
                max_encounter_age_in_days: self.max_encounter_age_in_days,
                ..pb::RiskCalculationParameters::from(&self.risk_calculation_parameters)
            },
        }
    }

    /// `/version/v1/configuration/country/{home}/app_config`: the version 1
    /// risk parameters with both platforms' versions, timeouts and limits.
    fn v1_configuration(
        &self,
        common: &Common,
    ) -> Result<pb::ApplicationConfiguration, PublishedConfigError> {
        let versions = &self.app_version;
        let info = |info: &VersionInfo, platform: &'static str| {
            Ok::<_, PublishedConfigError>(pb::ApplicationVersionInfo {
                latest: Some(version(&info.latest, platform)?),
                min: Some(version(&info.min, platform)?),
            })
        };
        Ok(pb::ApplicationConfiguration {
            app_version: Some(pb::ApplicationVersionConfiguration {
                ios: Some(info(&versions.ios, "appVersion.ios")?),
                android: Some(info(&versions.android, "appVersion.android")?),
            }),
            app_features: Some(common.features.clone()),
            supported_countries: common.countries.clone(),
            ios_key_download_parameters: Some(pb::KeyDownloadParametersIos::default()),
            android_key_download_parameters: Some(common.android_download.clone()),
            ios_exposure_detection_parameters: Some(common.ios_detection),
            android_exposure_detection_parameters: Some(common.android_detection),
            ..pb::ApplicationConfiguration::from(&self.v1)
        })
    }

    /// `/version/v2/app_config_android`: version codes, the risk
    /// parameters, the diagnosis keys data mapping and the daily summaries.
    fn android_configuration(
        &self,
        common: &Common,
    ) -> Result<pb::ApplicationConfigurationAndroid, PublishedConfigError> {
        let versions = &self.app_version;
        Ok(pb::ApplicationConfigurationAndroid {
            min_version_code: versions.min_android_version_code,
            latest_version_code: versions.latest_android_version_code,
            app_features: Some(common.features.clone()),
            supported_countries: common.countries.clone(),
            key_download_parameters: Some(common.android_download.clone()),
            exposure_detection_parameters: Some(common.android_detection),
            risk_calculation_parameters: Some(common.risk.clone()),
            diagnosis_keys_data_mapping: Some(self.diagnosis_keys_data_mapping.to_proto()?),
            daily_summaries_config: Some(self.daily_summaries_config.to_proto()?),
        })
    }

    /// `/version/v2/app_config_ios`: semantic versions, the risk parameters
    /// and the framework's exposure configuration.
    fn ios_configuration(
        &self,
        common: Common,
    ) -> Result<pb::ApplicationConfigurationIos, PublishedConfigError> {
        let versions = &self.app_version.ios;
        Ok(pb::ApplicationConfigurationIos {
            min_version: Some(version(&versions.min, "appVersion.ios.min")?),
            latest_version: Some(version(&versions.latest, "appVersion.ios.latest")?),
            app_features: Some(common.features),
            supported_countries: common.countries,
            key_download_parameters: Some(pb::KeyDownloadParametersIos::default()),
            exposure_detection_parameters: Some(common.ios_detection),
            risk_calculation_parameters: Some(common.risk),
            exposure_configuration: Some(self.exposure_configuration.to_proto()?),
        })
    }
}

impl DataMapping {
    /// The protobuf, its map keyed by numbers.
    fn to_proto(&self) -> Result<pb::DiagnosisKeysDataMapping, PublishedConfigError> {
        Ok(pb::DiagnosisKeysDataMapping {
            days_since_onset_to_infectiousness: int_keys(
                &self.days_since_onset_to_infectiousness,
                "diagnosisKeysDataMapping.daysSinceOnsetToInfectiousness",
            )?,
            infectiousness_when_days_since_onset_missing: self
                .infectiousness_when_days_since_onset_missing,
            report_type_when_missing: self.report_type_when_missing,
        })
    }
}

impl DailySummariesConfig {
    /// The protobuf, its maps keyed by numbers.
    fn to_proto(&self) -> Result<pb::DailySummariesConfig, PublishedConfigError> {
        Ok(pb::DailySummariesConfig {
            attenuation_bucket_threshold_db: self.attenuation_bucket_threshold_db.clone(),
            attenuation_bucket_weights: self.attenuation_bucket_weights.clone(),
            days_since_exposure_threshold: self.days_since_exposure_threshold,
            infectiousness_weights: int_keys(
                &self.infectiousness_weights,
                "dailySummariesConfig.infectiousnessWeights",
            )?,
            minimum_window_score: self.minimum_window_score,
            report_type_weights: int_keys(
                &self.report_type_weights,
                "dailySummariesConfig.reportTypeWeights",
            )?,
        })
    }
}

impl ExposureConfiguration {
    /// The protobuf, its map keyed by numbers.
    fn to_proto(&self) -> Result<pb::ExposureConfiguration, PublishedConfigError> {
        Ok(pb::ExposureConfiguration {
            infectiousness_for_days_since_onset_of_symptoms: int_keys(
                &self.infectiousness_for_days_since_onset_of_symptoms,
                "exposureConfiguration.infectiousnessForDaysSinceOnsetOfSymptoms",
            )?,
            report_type_none_map: self.report_type_none_map,
            attenuation_duration_thresholds: self.attenuation_duration_thresholds.clone(),
            immediate_duration_weight: self.immediate_duration_weight,
            medium_duration_weight: self.medium_duration_weight,
            near_duration_weight: self.near_duration_weight,
            other_duration_weight: self.other_duration_weight,
            days_since_last_exposure_threshold: self.days_since_last_exposure_threshold,
            infectiousness_standard_weight: self.infectiousness_standard_weight,
            infectiousness_high_weight: self.infectiousness_high_weight,
            report_type_confirmed_test_weight: self.report_type_confirmed_test_weight,
            report_type_confirmed_clinical_diagnosis_weight: self
                .report_type_confirmed_clinical_diagnosis_weight,
            report_type_self_reported_weight: self.report_type_self_reported_weight,
            report_type_recursive_weight: self.report_type_recursive_weight,
        })
    }
}

/// The mapping as the apps hand it to the framework, read from the
/// published Android configuration.
pub fn data_mapping_of(android: &pb::ApplicationConfigurationAndroid) -> DiagnosisKeysDataMapping {
    let mapping = android
        .diagnosis_keys_data_mapping
        .clone()
        .unwrap_or_default();
    DiagnosisKeysDataMapping {
        days_since_onset_to_infectiousness: mapping
            .days_since_onset_to_infectiousness
            .into_iter()
            .collect(),
        infectiousness_when_days_since_onset_missing: mapping
            .infectiousness_when_days_since_onset_missing,
        report_type_when_missing: mapping.report_type_when_missing,
    }
}
