//! Version 1: the worked examples of SPEC section 8 and the rules, each a
//! table of cases.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use shared::risk::defaults;
use shared::risk::v1::{
    self, AttenuationMinutes, DurationWeights, Exposure, ExposuresFile, V1Config, V1Error,
};

/// The configuration of the worked examples: weights 1.0/0.5/0.5, divisor 25.
fn worked_example_config() -> V1Config {
    let mut config = defaults::v1();
    config.attenuation_duration.weights = DurationWeights {
        low: 1.0,
        mid: 0.5,
        high: 0.5,
    };
    config.attenuation_duration.risk_score_normalization_divisor = 25;
    config.attenuation_duration.default_bucket_offset = 0;
    config
}

#[test]
fn v1_worked_examples_of_the_spec() {
    let config = worked_example_config();
    let cases = [
        (156, [10.0, 10.0, 10.0], 124.8),
        (256, [15.0, 15.0, 15.0], 307.2),
        (512, [30.0, 30.0, 30.0], 1228.8),
        (4096, [30.0, 30.0, 30.0], 9830.4),
        (4096, [45.0, 45.0, 45.0], 9830.4),
    ];
    for (maximum, durations, expected) in cases {
        let combined = config.combine(maximum, durations);
        assert_eq!(
            combined.combined_risk_score, expected,
            "max {maximum}, durations {durations:?}"
        );
        assert!(
            combined
                .attenuation_durations
                .iter()
                .all(|minutes| *minutes <= 30.0)
        );
    }
}

#[test]
fn v1_buckets_follow_the_spec_boundaries() {
    let attenuation = [
        (100.0, 0),
        (73.5, 0),
        (73.0, 1),
        (63.5, 1),
        (63.0, 2),
        (51.5, 2),
        (51.0, 3),
        (33.5, 3),
        (33.0, 4),
        (27.5, 4),
        (27.0, 5),
        (15.5, 5),
        (15.0, 6),
        (10.5, 6),
        (10.0, 7),
        (0.0, 7),
    ];
    for (decibels, bucket) in attenuation {
        assert_eq!(
            v1::attenuation_bucket(decibels),
            bucket,
            "attenuation {decibels} dB"
        );
    }
    let days = [
        (100, 0),
        (14, 0),
        (13, 1),
        (12, 1),
        (11, 2),
        (10, 2),
        (9, 3),
        (8, 3),
        (7, 4),
        (6, 4),
        (5, 5),
        (4, 5),
        (3, 6),
        (2, 6),
        (1, 7),
        (0, 7),
    ];
    for (days, bucket) in days {
        assert_eq!(v1::days_bucket(days), bucket, "{days} days");
    }
    let duration = [
        (0.0, 0),
        (0.5, 1),
        (5.0, 1),
        (5.5, 2),
        (10.0, 2),
        (10.5, 3),
        (15.0, 3),
        (15.5, 4),
        (20.0, 4),
        (20.5, 5),
        (25.0, 5),
        (25.5, 6),
        (30.0, 6),
        (30.5, 7),
        (600.0, 7),
    ];
    for (minutes, bucket) in duration {
        assert_eq!(v1::duration_bucket(minutes), bucket, "{minutes} minutes");
    }
}

fn exposure(days: u32, trl: u8, attenuations: &[(f64, f64)]) -> Exposure {
    Exposure {
        days_since_exposure: days,
        transmission_risk_level: trl,
        attenuations: attenuations
            .iter()
            .map(|&(attenuation, minutes)| AttenuationMinutes {
                attenuation,
                minutes,
            })
            .collect(),
    }
}

#[test]
fn v1_scores_multiply_and_the_transmission_bucket_is_trl_minus_one() {
    let config = defaults::v1();
    // TRL scores [0,0,3,4,5,6,7,8], days all 5, attenuation bucket 3 (50 dB)
    // scores 2, duration bucket 4 (20 minutes) scores 1.
    for (trl, transmission_score) in (1..=8).zip([0u32, 0, 3, 4, 5, 6, 7, 8]) {
        let steps = config
            .exposure_steps(&exposure(2, trl, &[(50.0, 20.0)]), 0)
            .unwrap();
        assert_eq!(steps.transmission_score.bucket, trl - 1);
        assert_eq!(steps.attenuation_score.bucket, 3);
        assert_eq!(steps.duration_score.bucket, 4);
        assert_eq!(steps.days_score.bucket, 6);
        assert_eq!(
            steps.total_risk_score,
            transmission_score * 2 * 5, // × 1 for the duration
            "TRL {trl}"
        );
    }
    for trl in [0, 9] {
        assert_eq!(
            config.exposure_steps(&exposure(2, trl, &[(50.0, 20.0)]), 4),
            Err(V1Error::TransmissionRiskLevel {
                exposure: 4,
                level: trl
            })
        );
    }
}

#[test]
fn v1_attenuation_is_duration_weighted_and_durations_split_at_the_thresholds() {
    let config = defaults::v1(); // thresholds 55 / 63
    let steps = config
        .exposure_steps(
            &exposure(1, 8, &[(54.9, 2.0), (55.0, 3.0), (62.9, 4.0), (63.0, 5.0)]),
            0,
        )
        .unwrap();
    assert_eq!(steps.attenuation_durations, [2.0, 7.0, 5.0]);
    assert_eq!(steps.duration_minutes, 14.0);
    let weighted = (54.9 * 2.0 + 55.0 * 3.0 + 62.9 * 4.0 + 63.0 * 5.0) / 14.0;
    assert!((steps.attenuation - weighted).abs() < 1e-9);
    let empty = config.exposure_steps(&exposure(1, 8, &[]), 0).unwrap();
    assert_eq!(
        (empty.duration_minutes, empty.duration_score.bucket),
        (0.0, 0)
    );
}

#[test]
fn v1_minimum_risk_score_leaves_exposures_out() {
    let mut config = defaults::v1();
    // TRL 3 scores 3, 50 dB 2, 2 days 5, 20 minutes 1: total 30.
    let exposures = [
        exposure(2, 3, &[(50.0, 20.0)]),
        exposure(2, 3, &[(60.0, 25.0)]),
    ];
    let cases = [(30, true, 30), (31, false, 0)];
    for (minimum, counted, maximum) in cases {
        config.min_risk_score = minimum;
        let calculation = config.calculate(&exposures).unwrap();
        assert_eq!(calculation.exposures[0].total_risk_score, 30);
        assert_eq!(
            calculation.exposures[0].counted, counted,
            "minimum {minimum}"
        );
        assert_eq!(calculation.maximum_risk_score, maximum, "minimum {minimum}");
        let expected_durations = if counted { [20.0, 25.0, 0.0] } else { [0.0; 3] };
        assert_eq!(calculation.summed_attenuation_durations, expected_durations);
    }
}

#[test]
fn v1_production_defaults_classify_an_exposure() {
    let config = defaults::v1();
    // Total 6·2·5·1 = 60 (≥ 11); 20 minutes below 55 dB weigh 1.0: exposure
    // score 20; 60 / 50 · 20 = 24 → HIGH.
    let calculation = config
        .calculate(&[exposure(2, 6, &[(50.0, 20.0)])])
        .unwrap();
    assert_eq!(calculation.maximum_risk_score, 60);
    assert_eq!(calculation.combined.exposure_score, 20.0);
    assert_eq!(calculation.combined.normalized_max_risk_score, 1.2);
    assert_eq!(calculation.combined.combined_risk_score, 24.0);
    assert_eq!(calculation.risk_class.as_deref(), Some("HIGH"));

    let nothing = config.calculate(&[]).unwrap();
    assert_eq!(nothing.combined.combined_risk_score, 0.0);
    assert_eq!(nothing.risk_class.as_deref(), Some("LOW"));
}

#[test]
fn v1_risk_classes_are_half_open_except_the_last() {
    let config = defaults::v1(); // LOW [0, 15), HIGH [15, 9999]
    let cases = [
        (0.0, Some("LOW")),
        (14.99, Some("LOW")),
        (15.0, Some("HIGH")),
        (9999.0, Some("HIGH")),
        (9999.01, None),
        (-1.0, None),
    ];
    for (score, label) in cases {
        assert_eq!(
            config.risk_class(score).map(|class| class.label.as_str()),
            label,
            "{score}"
        );
    }
}

#[test]
fn v1_bad_configuration_and_exposures_are_refused() {
    let mut config = defaults::v1();
    config.attenuation_duration.risk_score_normalization_divisor = 0;
    assert_eq!(config.calculate(&[]).unwrap_err(), V1Error::Divisor(0));

    let mut config = defaults::v1();
    config.exposure_config.duration[3] = 9;
    assert_eq!(
        config.calculate(&[]).unwrap_err(),
        V1Error::Score {
            list: "duration",
            bucket: 3,
            score: 9
        }
    );

    let config = defaults::v1();
    for (attenuation, minutes) in [(50.0, -1.0), (f64::NAN, 1.0), (50.0, f64::INFINITY)] {
        let result = config.calculate(&[exposure(1, 5, &[(attenuation, minutes)])]);
        assert!(
            matches!(result, Err(V1Error::Attenuation { exposure: 0, .. })),
            "{attenuation} {minutes}"
        );
    }
}

#[test]
fn v1_exposures_file_reads_the_documented_shape() {
    let json = r#"{"exposures": [{"daysSinceExposure": 2, "transmissionRiskLevel": 6,
        "attenuations": [{"attenuation": 50, "minutes": 20}]}]}"#;
    let file: ExposuresFile = serde_json::from_str(json).unwrap();
    assert_eq!(file.exposures, vec![exposure(2, 6, &[(50.0, 20.0)])]);
}
