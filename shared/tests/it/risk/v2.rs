//! Version 2: one table of cases per rule.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use shared::risk::v2::{
    Dropped, ExposureWindow, NormalizedTimeToRiskLevelMapping, RiskCalculationParameters,
    RiskResult, ScanInstance, WindowError,
};
use shared::risk::{Range, RiskLevel, defaults};

fn scan(min_attenuation: i32, seconds: i64) -> ScanInstance {
    ScanInstance {
        min_attenuation,
        typical_attenuation: min_attenuation,
        seconds_since_last_scan: seconds,
    }
}

fn window(
    age: u32,
    report_type: i32,
    infectiousness: i32,
    scans: &[ScanInstance],
) -> ExposureWindow {
    ExposureWindow {
        age_in_days: age,
        report_type,
        infectiousness,
        calibration_confidence: 0,
        scan_instances: scans.to_vec(),
    }
}

/// Production parameters without filters, so one rule shows at a time.
fn unfiltered() -> RiskCalculationParameters {
    let mut parameters = defaults::v2();
    parameters.minutes_at_attenuation_filters.clear();
    parameters.trl_filters.clear();
    parameters
}

#[test]
fn v2_minutes_at_attenuation_filter_bounds() {
    // Production: drop when minutes with minimum attenuation in [0, 73) lie in [0, 10).
    let parameters = defaults::v2();
    let cases = [
        ("9.98 minutes at 72 dB", vec![scan(72, 599)], true),
        ("10 minutes at 72 dB", vec![scan(72, 600)], false),
        (
            "10 minutes at 73 dB count 0 minutes",
            vec![scan(73, 600)],
            true,
        ),
        (
            "10 minutes in two scans",
            vec![scan(30, 300), scan(72, 300)],
            false,
        ),
        (
            "negative seconds count 0",
            vec![scan(30, 900), scan(30, -600)],
            false,
        ),
        ("zero seconds", vec![scan(30, 0)], true),
        ("no scans", vec![], true),
    ];
    for (name, scans, dropped) in cases {
        let calculation = parameters.calculate(&[window(1, 1, 2, &scans)]).unwrap();
        let steps = &calculation.windows[0];
        assert_eq!(
            matches!(
                steps.dropped,
                Some(Dropped::MinutesAtAttenuation { filter: 0, .. })
            ),
            dropped,
            "{name}: {steps:?}"
        );
    }
}

#[test]
fn v2_exclusive_lower_bounds_and_inclusive_upper_bounds() {
    let mut parameters = unfiltered();
    parameters.trl_filters = vec![shared::risk::v2::TrlFilter {
        drop_if_trl_in_range: Range {
            min: 3.0,
            max: 5.0,
            min_exclusive: true,
            max_exclusive: false,
        },
    }];
    // Self report (2) + standard (1) = 3, + high = 4; clinical (4) + standard = 5, + high = 6.
    let cases = [
        ((3, 1), false),
        ((3, 2), true),
        ((2, 1), true),
        ((2, 2), false),
    ];
    for ((report_type, infectiousness), dropped) in cases {
        let calculation = parameters
            .calculate(&[window(1, report_type, infectiousness, &[scan(50, 900)])])
            .unwrap();
        let steps = &calculation.windows[0];
        assert_eq!(
            steps.dropped.is_some(),
            dropped,
            "TRL {}",
            steps.transmission_risk_level
        );
    }
}

#[test]
fn v2_trl_encoding_values_and_production_trl_filter() {
    let parameters = defaults::v2();
    // (report type, infectiousness, TRL, value, dropped by the TRL filter [1, 2])
    let cases = [
        (4, 1, 1, 0.0, true),
        (4, 2, 2, 0.0, true),
        (3, 1, 3, 0.6, false),
        (3, 2, 4, 0.8, false),
        (2, 1, 5, 1.0, false),
        (2, 2, 6, 1.2, false),
        (1, 1, 7, 1.4, false),
        (1, 2, 8, 1.6, false),
    ];
    for (report_type, infectiousness, trl, value, dropped) in cases {
        let calculation = parameters
            .calculate(&[window(0, report_type, infectiousness, &[scan(50, 900)])])
            .unwrap();
        let steps = &calculation.windows[0];
        assert_eq!(
            steps.transmission_risk_level, trl,
            "report type {report_type}, infectiousness {infectiousness}"
        );
        assert_eq!(steps.transmission_risk_value, value, "TRL {trl}");
        assert_eq!(
            matches!(
                steps.dropped,
                Some(Dropped::TransmissionRiskLevel { filter: 0 })
            ),
            dropped,
            "TRL {trl}"
        );
    }
    assert_eq!(
        parameters.transmission_risk_value(9),
        0.0,
        "a TRL not listed has value 0"
    );
}

#[test]
fn v2_weights_by_minimum_attenuation() {
    let parameters = unfiltered(); // [0, 63) 0.8, [63, 73) 1.0, [73, 79) 0.1
    let cases = [
        (0, 0.8),
        (62, 0.8),
        (63, 1.0),
        (72, 1.0),
        (73, 0.1),
        (78, 0.1),
        (79, 0.0),
        (-1, 0.0),
    ];
    for (attenuation, weight) in cases {
        let minutes = parameters.weighted_minutes(&[scan(attenuation, 600)]);
        assert!(
            (minutes - 10.0 * weight).abs() < 1e-9,
            "{attenuation} dB: {minutes}"
        );
    }
    let mixed = [scan(50, 300), scan(65, 120), scan(75, 600), scan(50, -300)];
    let expected = (300.0 * 0.8 + 120.0 * 1.0 + 600.0 * 0.1) / 60.0;
    assert!((parameters.weighted_minutes(&mixed) - expected).abs() < 1e-9);
}

#[test]
fn v2_day_sum_is_rounded_to_one_decimal_before_the_threshold() {
    let parameters = unfiltered(); // per day [0, 13) LOW, [13, 99999] HIGH
    // Clinical diagnosis + standard = TRL 5, value 1.0; at 65 dB weight 1.0:
    // normalized time = seconds / 60.
    let cases = [
        (776, 12.9, RiskLevel::Low),  // 12.933…
        (777, 13.0, RiskLevel::High), // 12.95 rounds up to the threshold
        (780, 13.0, RiskLevel::High),
    ];
    for (seconds, rounded, level) in cases {
        let calculation = parameters
            .calculate(&[window(3, 2, 1, &[scan(65, seconds)])])
            .unwrap();
        let day = &calculation.days[0];
        assert_eq!(day.normalized_time, rounded, "{seconds} s");
        assert_eq!(day.risk_level, Some(level), "{seconds} s");
        assert_eq!(calculation.result.total_risk_level, level);
    }
}

#[test]
fn v2_windows_and_days_without_a_level() {
    let mut parameters = unfiltered();
    parameters.normalized_time_per_ew_to_risk_level_mapping =
        vec![NormalizedTimeToRiskLevelMapping {
            normalized_time_range: Range::max_exclusive(1.0, 13.0),
            risk_level: RiskLevel::Low,
        }];
    parameters.normalized_time_per_day_to_risk_level_mapping =
        vec![NormalizedTimeToRiskLevelMapping {
            normalized_time_range: Range::max_exclusive(5.0, 13.0),
            risk_level: RiskLevel::Low,
        }];
    let windows = [
        window(1, 2, 1, &[scan(65, 30)]),  // 0.5: no window level, dropped
        window(2, 2, 1, &[scan(65, 240)]), // 4: LOW window, but the day has no level
        window(3, 2, 1, &[scan(65, 360)]), // 6: LOW window on a LOW day
    ];
    let calculation = parameters.calculate(&windows).unwrap();
    assert_eq!(calculation.windows[0].dropped, Some(Dropped::NoRiskLevel));
    assert_eq!(calculation.days.len(), 2);
    assert_eq!(calculation.days[0].risk_level, None);
    assert_eq!(calculation.days[1].risk_level, Some(RiskLevel::Low));
    assert_eq!(
        calculation.result,
        RiskResult {
            total_risk_level: RiskLevel::Low,
            age_of_most_recent_date_with_low_risk: Some(3),
            age_of_most_recent_date_with_high_risk: None,
            number_of_days_with_low_risk: 1,
            number_of_days_with_high_risk: 0,
            total_minimum_distinct_encounters_with_low_risk: 1,
            total_minimum_distinct_encounters_with_high_risk: 0,
        }
    );
}

#[test]
fn v2_empty_input_and_empty_windows() {
    let low_nothing = RiskResult {
        total_risk_level: RiskLevel::Low,
        age_of_most_recent_date_with_low_risk: None,
        age_of_most_recent_date_with_high_risk: None,
        number_of_days_with_low_risk: 0,
        number_of_days_with_high_risk: 0,
        total_minimum_distinct_encounters_with_low_risk: 0,
        total_minimum_distinct_encounters_with_high_risk: 0,
    };
    assert_eq!(defaults::v2().calculate(&[]).unwrap().result, low_nothing);
    // With production filters a window without scans has 0 minutes: dropped.
    assert_eq!(
        defaults::v2()
            .calculate(&[window(1, 1, 2, &[])])
            .unwrap()
            .result,
        low_nothing
    );
    // Without filters it is a LOW window of normalized time 0 on a LOW day.
    let calculation = unfiltered().calculate(&[window(1, 1, 2, &[])]).unwrap();
    assert_eq!(calculation.windows[0].normalized_time, 0.0);
    assert_eq!(calculation.result.number_of_days_with_low_risk, 1);
}

#[test]
fn v2_distinct_encounters_by_day() {
    let parameters = unfiltered();
    let low = |age, report_type, calibration| ExposureWindow {
        calibration_confidence: calibration,
        ..window(age, report_type, 1, &[scan(65, 300)]) // 5 or 7 minutes: LOW windows
    };
    let high = |age| window(age, 1, 2, &[scan(65, 900)]); // TRL 8, 24: HIGH
    let cases = [
        (
            "same day, TRL and calibration",
            vec![low(1, 2, 0), low(1, 2, 0)],
            (1, 0),
        ),
        (
            "different calibration",
            vec![low(1, 2, 0), low(1, 2, 1)],
            (2, 0),
        ),
        ("different TRL", vec![low(1, 2, 0), low(1, 3, 0)], (2, 0)),
        ("different days", vec![low(1, 2, 0), low(2, 2, 0)], (2, 0)),
        (
            "a LOW and a HIGH window",
            vec![low(1, 2, 0), high(1)],
            (1, 1),
        ),
        (
            "two HIGH windows, same pair",
            vec![high(4), high(4)],
            (0, 1),
        ),
    ];
    for (name, windows, (low_encounters, high_encounters)) in cases {
        let result = parameters.calculate(&windows).unwrap().result;
        assert_eq!(
            (
                result.total_minimum_distinct_encounters_with_low_risk,
                result.total_minimum_distinct_encounters_with_high_risk
            ),
            (low_encounters, high_encounters),
            "{name}"
        );
    }
}

#[test]
fn v2_total_result_over_days() {
    let parameters = unfiltered();
    let windows = [
        window(5, 1, 2, &[scan(65, 900)]), // HIGH day 5
        window(2, 1, 2, &[scan(65, 900)]), // HIGH day 2
        window(1, 2, 1, &[scan(65, 300)]), // LOW day 1
        window(7, 2, 1, &[scan(65, 300)]), // LOW day 7
    ];
    let result = parameters.calculate(&windows).unwrap().result;
    assert_eq!(
        result,
        RiskResult {
            total_risk_level: RiskLevel::High,
            age_of_most_recent_date_with_low_risk: Some(1),
            age_of_most_recent_date_with_high_risk: Some(2),
            number_of_days_with_low_risk: 2,
            number_of_days_with_high_risk: 2,
            total_minimum_distinct_encounters_with_low_risk: 2,
            total_minimum_distinct_encounters_with_high_risk: 2,
        }
    );
}

#[test]
fn v2_unknown_report_types_and_infectiousness_are_refused() {
    let parameters = defaults::v2();
    for code in [0, 5, -1] {
        assert_eq!(
            parameters.calculate(&[window(1, 1, 1, &[]), window(1, code, 1, &[])]),
            Err(WindowError::ReportType { window: 1, code })
        );
        assert_eq!(
            parameters.calculate(&[window(1, 1, code, &[])]),
            Err(WindowError::Infectiousness { window: 0, code })
        );
    }
}

#[test]
fn v2_json_shapes_of_the_spec() {
    let parameters: RiskCalculationParameters = serde_json::from_str(
        r#"{"minutesAtAttenuationFilters": [{"attenuationRange": {"min": 0, "max": 73, "maxExclusive": true},
              "dropIfMinutesInRange": {"min": 0, "max": 10, "maxExclusive": true}}],
            "trlFilters": [{"dropIfTrlInRange": {"min": 1, "max": 2}}],
            "minutesAtAttenuationWeights": [{"attenuationRange": {"min": 0, "max": 63, "minExclusive": false, "maxExclusive": true}, "weight": 0.8},
              {"attenuationRange": {"min": 63, "max": 73, "maxExclusive": true}, "weight": 1.0},
              {"attenuationRange": {"min": 73, "max": 79, "maxExclusive": true}, "weight": 0.1}],
            "normalizedTimePerEWToRiskLevelMapping": [{"normalizedTimeRange": {"min": 0, "max": 13, "maxExclusive": true}, "riskLevel": 1},
              {"normalizedTimeRange": {"min": 13, "max": 99999}, "riskLevel": 2}],
            "normalizedTimePerDayToRiskLevelMapping": [{"normalizedTimeRange": {"min": 0, "max": 13, "maxExclusive": true}, "riskLevel": 1},
              {"normalizedTimeRange": {"min": 13, "max": 99999}, "riskLevel": 2}],
            "trlEncoding": {"infectiousnessOffsetStandard": 1, "infectiousnessOffsetHigh": 2, "reportTypeOffsetRecursive": 0,
              "reportTypeOffsetSelfReport": 2, "reportTypeOffsetConfirmedClinicalDiagnosis": 4, "reportTypeOffsetConfirmedTest": 6},
            "transmissionRiskValueMapping": [{"transmissionRiskLevel": 1, "transmissionRiskValue": 0},
              {"transmissionRiskLevel": 2, "transmissionRiskValue": 0}, {"transmissionRiskLevel": 3, "transmissionRiskValue": 0.6},
              {"transmissionRiskLevel": 4, "transmissionRiskValue": 0.8}, {"transmissionRiskLevel": 5, "transmissionRiskValue": 1.0},
              {"transmissionRiskLevel": 6, "transmissionRiskValue": 1.2}, {"transmissionRiskLevel": 7, "transmissionRiskValue": 1.4},
              {"transmissionRiskLevel": 8, "transmissionRiskValue": 1.6}]}"#,
    )
    .unwrap();
    assert_eq!(
        parameters,
        defaults::v2(),
        "the production values are the defaults"
    );

    let windows: Vec<ExposureWindow> = serde_json::from_str(
        r#"[{"ageInDays": 1, "reportType": 1, "infectiousness": 1, "calibrationConfidence": 0,
             "scanInstances": [{"minAttenuation": 30, "typicalAttenuation": 25, "secondsSinceLastScan": 300}]}]"#,
    )
    .unwrap();
    assert_eq!(
        windows,
        vec![window(
            1,
            1,
            1,
            &[ScanInstance {
                typical_attenuation: 25,
                ..scan(30, 300)
            }]
        )]
    );

    let result = parameters.calculate(&windows).unwrap().result;
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"totalRiskLevel": 1, "ageOfMostRecentDateWithLowRisk": null,
            "ageOfMostRecentDateWithHighRisk": null, "numberOfDaysWithLowRisk": 0,
            "numberOfDaysWithHighRisk": 0, "totalMinimumDistinctEncountersWithLowRisk": 0,
            "totalMinimumDistinctEncountersWithHighRisk": 0}),
        "5 minutes at 30 dB fall under the 10-minute filter"
    );
    assert!(serde_json::from_str::<RiskLevel>("3").is_err());
}
