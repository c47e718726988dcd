//! The application configurations: production defaults, the official
//! protobufs (v1 and Android) and JSON.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use proto::appconfig as pb;
use shared::risk::v1::V1Config;
use shared::risk::{ApplicationConfig, ConfigError, default_application_configuration};

fn android() -> pb::ApplicationConfigurationAndroid {
    pb::ApplicationConfigurationAndroid {
        risk_calculation_parameters: Some((&shared::risk::defaults::v2()).into()),
        ..Default::default()
    }
}

#[test]
fn default_configuration_carries_the_production_values() {
    let published = default_application_configuration();
    let scores = published.exposure_config.as_ref().unwrap();
    let transmission = scores.transmission.as_ref().unwrap();
    assert_eq!(
        [
            transmission.app_defined1,
            transmission.app_defined2,
            transmission.app_defined3,
            transmission.app_defined8
        ],
        [0, 0, 3, 8]
    );
    let attenuation = scores.attenuation.as_ref().unwrap();
    assert_eq!((attenuation.gt73_dbm, attenuation.le10_dbm), (0, 2));
    assert_eq!(
        scores
            .days_since_last_exposure
            .as_ref()
            .unwrap()
            .ge0_lt2_days,
        5
    );
    assert_eq!(scores.duration.as_ref().unwrap().gt10_le15_min, 1);
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

    let back = ApplicationConfig::from_published(&published, &android()).unwrap();
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
    let mut broken = android();
    broken
        .risk_calculation_parameters
        .as_mut()
        .unwrap()
        .trl_encoding = None;
    assert_eq!(
        ApplicationConfig::from_published(&default_application_configuration(), &broken),
        Err(ConfigError::Missing(
            "riskCalculationParameters.trlEncoding"
        ))
    );
    let mut published = default_application_configuration();
    published.exposure_config.as_mut().unwrap().duration = None;
    assert_eq!(
        V1Config::try_from(&published),
        Err(ConfigError::Missing("exposureConfig.duration"))
    );
    let mut published = default_application_configuration();
    published
        .exposure_config
        .as_mut()
        .unwrap()
        .attenuation
        .as_mut()
        .unwrap()
        .gt63_le73_dbm = 9;
    assert_eq!(
        V1Config::try_from(&published),
        Err(ConfigError::Score {
            list: "attenuation",
            score: 9
        })
    );
    let mut broken = android();
    broken
        .risk_calculation_parameters
        .as_mut()
        .unwrap()
        .normalized_time_per_day_to_risk_level_mapping[0]
        .risk_level = 0;
    assert_eq!(
        ApplicationConfig::from_published(&default_application_configuration(), &broken),
        Err(ConfigError::RiskLevel {
            table: "normalizedTimePerDayToRiskLevelMapping",
            code: 0
        })
    );
    assert_eq!(
        V1Config::try_from(&pb::ApplicationConfiguration::default()),
        Err(ConfigError::Missing("exposureConfig"))
    );
}

/// The official field numbers of the two messages whose layout `warn` got
/// wrong before (v1 `ApplicationConfiguration` put version 2 at field 5;
/// v2 `Range` is min 1, minExclusive 2, max 3, maxExclusive 4).
#[test]
fn the_official_field_numbers_are_on_the_wire() {
    use prost::Message;
    let range = pb::Range {
        min: 1.0,
        min_exclusive: true,
        max: 2.0,
        max_exclusive: false,
    };
    // Tag 1 fixed64 (0x09), tag 2 varint (0x10), tag 3 fixed64 (0x19).
    let bytes = range.encode_to_vec();
    assert_eq!(bytes[0], 0x09);
    assert_eq!(&bytes[9..11], &[0x10, 0x01]);
    assert_eq!(bytes[11], 0x19);

    let v1 = pb::ApplicationConfiguration {
        supported_countries: vec!["DE".into()],
        app_version: Some(pb::ApplicationVersionConfiguration::default()),
        ..Default::default()
    };
    // appVersion: tag 5, length-delimited (0x2a); supportedCountries: tag 7 (0x3a).
    assert_eq!(v1.encode_to_vec(), [0x2a, 0x00, 0x3a, 0x02, b'D', b'E']);
}
