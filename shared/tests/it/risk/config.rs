//! The application configuration: production defaults, protobuf and JSON.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use proto::appconfig as pb;
use shared::risk::{ApplicationConfig, ConfigError, default_application_configuration};

#[test]
fn default_configuration_carries_the_production_values() {
    let published = default_application_configuration();
    let scores = published.exposure_config.as_ref().unwrap();
    assert_eq!(scores.transmission, vec![0, 0, 3, 4, 5, 6, 7, 8]);
    assert_eq!(scores.duration, vec![0, 0, 0, 1, 1, 1, 1, 1]);
    assert_eq!(scores.days_since_last_exposure, vec![5; 8]);
    assert_eq!(scores.attenuation, vec![0, 2, 2, 2, 2, 2, 2, 2]);
    let duration = published.attenuation_duration.as_ref().unwrap();
    assert_eq!(
        duration.thresholds,
        Some(pb::attenuation_duration::Thresholds {
            lower: 55,
            upper: 63
        })
    );
    assert_eq!(
        duration.weights,
        Some(pb::attenuation_duration::Weights {
            low: 1.0,
            mid: 0.5,
            high: 0.0
        })
    );
    assert_eq!(
        (
            duration.default_bucket_offset,
            duration.risk_score_normalization_divisor
        ),
        (0, 50)
    );
    assert_eq!(published.min_risk_score, 11);
    let classes = &published.risk_score_classes.as_ref().unwrap().risk_classes;
    let classes: Vec<_> = classes
        .iter()
        .map(|class| (class.label.as_str(), class.min, class.max))
        .collect();
    assert_eq!(classes, vec![("LOW", 0, 15), ("HIGH", 15, 9999)]);
    let values: Vec<f64> = published
        .risk_calculation_parameters
        .as_ref()
        .unwrap()
        .transmission_risk_value_mapping
        .iter()
        .map(|mapping| mapping.transmission_risk_value)
        .collect();
    assert_eq!(values, vec![0.0, 0.0, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6]);

    let back = ApplicationConfig::try_from(&published).unwrap();
    assert_eq!(back, ApplicationConfig::default(), "protobuf round trip");
    let json = serde_json::to_string(&back).unwrap();
    assert_eq!(
        serde_json::from_str::<ApplicationConfig>(&json).unwrap(),
        back,
        "JSON round trip"
    );
}

#[test]
fn incomplete_protobuf_configuration_is_refused() {
    let mut published = default_application_configuration();
    published
        .risk_calculation_parameters
        .as_mut()
        .unwrap()
        .trl_encoding = None;
    assert_eq!(
        ApplicationConfig::try_from(&published),
        Err(ConfigError::Missing(
            "riskCalculationParameters.trlEncoding"
        ))
    );
    let mut published = default_application_configuration();
    published.exposure_config.as_mut().unwrap().duration.pop();
    assert_eq!(
        ApplicationConfig::try_from(&published),
        Err(ConfigError::ScoreCount {
            list: "duration",
            count: 7
        })
    );
    let mut published = default_application_configuration();
    published
        .risk_calculation_parameters
        .as_mut()
        .unwrap()
        .normalized_time_per_day_to_risk_level_mapping[0]
        .risk_level = 0;
    assert_eq!(
        ApplicationConfig::try_from(&published),
        Err(ConfigError::RiskLevel {
            table: "normalizedTimePerDayToRiskLevelMapping",
            code: 0
        })
    );
    assert_eq!(
        ApplicationConfig::try_from(&pb::ApplicationConfiguration::default()),
        Err(ConfigError::Missing("exposureConfig"))
    );
}
