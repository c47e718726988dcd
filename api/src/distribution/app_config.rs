//! The published application configurations: the operator's document (TOML
//! or JSON, over the defaults of `app-config.toml`) turned into the three
//! signed configurations the apps download.

use std::path::Path;

use bytes::Bytes;
use prost::Message;
use shared::paths;
use shared::risk::published::PublishedConfig;

use super::run::RunError;
use crate::config::CountryCode;

/// The defaults: cwa-server's main-config values (the file says which).
pub const DEFAULTS: &str = include_str!("app-config.toml");

/// The configuration to publish: the defaults, with the values of the file
/// at `path` (TOML, or JSON when it ends in `.json`) in their place, table
/// by table. Unknown keys are refused, so a typo does not go unnoticed.
pub fn load(path: Option<&Path>) -> Result<PublishedConfig, RunError> {
    let mut document: toml::Value = toml::from_str(DEFAULTS)
        .map_err(|error| RunError::Config(format!("the defaults: {error}")))?;
    if let Some(path) = path {
        let text = std::fs::read_to_string(path)
            .map_err(|error| RunError::Config(format!("{}: {error}", path.display())))?;
        let overrides: toml::Value = if path.extension().is_some_and(|ext| ext == "json") {
            serde_json::from_str(&text)
                .map_err(|error| RunError::Config(format!("{}: {error}", path.display())))?
        } else {
            toml::from_str(&text)
                .map_err(|error| RunError::Config(format!("{}: {error}", path.display())))?
        };
        merge(&mut document, overrides);
    }
    document
        .try_into()
        .map_err(|error| RunError::Config(format!("application configuration: {error}")))
}

/// Replaces the values of `base` by those of `overrides`; tables merge key
/// by key, everything else (lists too) is replaced whole.
fn merge(base: &mut toml::Value, overrides: toml::Value) {
    match (base, overrides) {
        (toml::Value::Table(base), toml::Value::Table(overrides)) => {
            for (key, value) in overrides {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// `transmissionRiskLevelMultiplier` for releases before 1.15 (cwa-server's
/// legacy `v2/risk-calculation-parameters.yaml`).
const LEGACY_TRL_MULTIPLIER: f64 = 0.2;

/// The encoded configurations by public path: v1 for the home country, and
/// the Android and iOS configurations under `version/v2` (where current
/// app releases look: iOS `ResourceLocator.appConfiguration`) and
/// `version/v1` (where the Android app's `AppConfigApiV2` looks).
pub fn encode(
    config: &PublishedConfig,
    home: CountryCode,
    supported: &[String],
) -> Result<Vec<(String, Bytes)>, RunError> {
    let built = config
        .build(supported)
        .map_err(|error| RunError::Config(format!("application configuration: {error}")))?;
    let mut files = vec![(
        paths::app_config(home.as_str()),
        Bytes::from(built.v1.encode_to_vec()),
    )];
    files.push((
        paths::app_config_android("v2"),
        Bytes::from(built.android.encode_to_vec()),
    ));
    files.push((
        paths::app_config_ios("v2"),
        Bytes::from(built.ios.encode_to_vec()),
    ));
    // Releases before 1.15 read `version/v1` and weigh a window by
    // TRL × `transmissionRiskLevelMultiplier` (cwa-server's legacy
    // v2/risk-calculation-parameters.yaml: 0.2); later ones use
    // `transmissionRiskValueMapping` and get 0, as cwa-server's 1.15 file.
    let (mut android, mut ios) = (built.android, built.ios);
    for risk in [
        android.risk_calculation_parameters.as_mut(),
        ios.risk_calculation_parameters.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        risk.transmission_risk_level_multiplier = LEGACY_TRL_MULTIPLIER;
    }
    files.push((
        paths::app_config_android("v1"),
        Bytes::from(android.encode_to_vec()),
    ));
    files.push((
        paths::app_config_ios("v1"),
        Bytes::from(ios.encode_to_vec()),
    ));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_shared_production_values() {
        let config = load(None).expect("the defaults parse");
        assert_eq!(config.v1, shared::risk::defaults::v1());
        // What the last releases read: cwa-server's 1.15 file (no filters,
        // its level tables), with SPEC section 8's weights and TRL values.
        let risk = &config.risk_calculation_parameters;
        let reference = shared::risk::defaults::v2();
        assert!(risk.minutes_at_attenuation_filters.is_empty());
        assert!(risk.trl_filters.is_empty());
        assert_eq!(
            risk.minutes_at_attenuation_weights,
            reference.minutes_at_attenuation_weights
        );
        assert_eq!(
            risk.transmission_risk_value_mapping,
            reference.transmission_risk_value_mapping
        );
        assert_eq!(risk.trl_encoding, reference.trl_encoding);
        assert_eq!(config.max_encounter_age_in_days, 10);
        assert_eq!(
            config.minimum_trl_value_allowed,
            shared::publication::CWA_MINIMUM_TRL
        );
        let built = config
            .build(&["DE".to_owned()])
            .expect("the defaults build");
        assert_eq!(
            shared::risk::published::data_mapping_of(&built.android),
            shared::publication::DiagnosisKeysDataMapping::default()
        );
    }

    #[test]
    fn a_file_changes_only_what_it_names_and_refuses_typos() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app-config.toml");
        std::fs::write(
            &path,
            "minimumTrlValueAllowed = 1\n[v1]\nminRiskScore = 20\n",
        )
        .expect("write");
        let config = load(Some(&path)).expect("parses");
        assert_eq!(config.minimum_trl_value_allowed, 1);
        assert_eq!(config.v1.min_risk_score, 20);
        assert_eq!(
            config.v1.exposure_config,
            shared::risk::defaults::v1().exposure_config
        );

        std::fs::write(&path, "[dailySummariesConfig]\nminimumWindowScor = 1.0\n").expect("write");
        let error = load(Some(&path)).expect_err("a typo is refused");
        assert!(error.to_string().contains("minimumWindowScor"), "{error}");
    }
}
