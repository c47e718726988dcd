//! Matching diagnosis keys against an observation log, as the framework does.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::BTreeSet;

use shared::en::crypto::{INTERVAL_SECONDS, TekKeys};
use shared::en::matching::{DAY_SECONDS, Infectiousness, MatchStrategy, MatchedWindow};
use shared::en::observations::ObservationError;
use shared::en::simulate::{self, Encounter, SCAN_INTERVAL_SECONDS};
use shared::en::{MatchOptions, Observation, ObservationLog, match_keys};
use shared::keys::{DiagnosisKey, ReportType};
use shared::risk::{RiskLevel, defaults};

/// A day (2025-11-10), as days since 1970.
const DAY: u64 = 20_402;
/// Version 1.0, transmit power -10 dBm.
const METADATA: [u8; 4] = [0x40, 0xf6, 0, 0];

fn tek(seed: u8) -> [u8; 16] {
    std::array::from_fn(|index| {
        seed.wrapping_mul(29)
            .wrapping_add((index as u8).wrapping_mul(13))
    })
}

fn key_of_day(
    seed: u8,
    day: u64,
    report_type: ReportType,
    days_since_onset: Option<i32>,
) -> DiagnosisKey {
    DiagnosisKey {
        key_data: tek(seed),
        transmission_risk_level: 6,
        rolling_start_interval_number: (day * 144) as u32,
        rolling_period: 144,
        report_type,
        days_since_onset_of_symptoms: days_since_onset,
    }
}

fn at(day: u64, hour: u64, minute: u64) -> u64 {
    day * DAY_SECONDS + hour * 3600 + minute * 60
}

fn meet(seed: u8, start: u64, minutes: u64, attenuation: u8) -> Vec<Observation> {
    let encounter = Encounter {
        start,
        duration: minutes * 60,
        attenuation,
    };
    simulate::encounter(&tek(seed), &METADATA, &encounter, SCAN_INTERVAL_SECONDS)
}

fn log(observations: Vec<Observation>) -> ObservationLog {
    ObservationLog {
        calibration_confidence: 2,
        observations,
    }
}

fn windows(matches: &shared::en::Matches) -> Vec<&MatchedWindow> {
    matches.days.iter().flat_map(|day| &day.windows).collect()
}

#[test]
fn twenty_minutes_near_a_diagnosis_key_make_one_window() {
    let keys = [key_of_day(1, DAY, ReportType::ConfirmedTest, Some(0))];
    let mut observations = meet(1, at(DAY, 10, 0), 20, 55);
    observations.extend(meet(2, at(DAY, 11, 0), 20, 40)); // a phone that is no diagnosis key
    let matches = match_keys(
        &keys,
        &log(observations),
        &MatchOptions::at(at(DAY + 2, 12, 0)),
    )
    .unwrap();

    assert_eq!(
        (
            matches.keys_checked,
            matches.keys_matched,
            matches.observations_matched
        ),
        (1, 1, 5)
    );
    assert_eq!(matches.days.len(), 1);
    let day = &matches.days[0];
    assert_eq!((day.date.as_str(), day.age_in_days), ("2025-11-10", 2));
    let window = &day.windows[0];
    assert_eq!(window.key.index, 0);
    assert_eq!(
        (window.report_type, window.infectiousness),
        (1, Infectiousness::High)
    );
    assert_eq!(window.calibration_confidence, 2);
    assert_eq!(
        (window.start, window.end),
        (at(DAY, 10, 0), at(DAY, 10, 16))
    );
    let seconds: Vec<i64> = window
        .scan_instances
        .iter()
        .map(|scan| scan.seconds_since_last_scan)
        .collect();
    assert_eq!(
        seconds,
        vec![300, 240, 240, 240, 240],
        "the log's first scan counts 300 seconds"
    );
    assert!(
        window
            .scan_instances
            .iter()
            .all(|scan| (scan.min_attenuation, scan.typical_attenuation) == (55, 55))
    );
    for sighting in &window.sightings {
        assert_eq!(
            sighting.metadata, METADATA,
            "AEM decrypts to the broadcast metadata"
        );
        assert_eq!((sighting.version.as_str(), sighting.tx_power), ("1.0", -10));
        assert_eq!(
            u64::from(sighting.interval),
            sighting.time / INTERVAL_SECONDS
        );
    }

    // TRL 6 + 2 = 8 (value 1.6), 21 minutes at 55 dB weigh 0.8: 26.88, HIGH.
    let calculation = defaults::v2()
        .calculate(&matches.exposure_windows())
        .unwrap();
    assert_eq!(calculation.windows[0].transmission_risk_level, 8);
    assert!((calculation.windows[0].normalized_time - 26.88).abs() < 1e-9);
    assert_eq!(calculation.result.total_risk_level, RiskLevel::High);
    assert_eq!(
        calculation.result.age_of_most_recent_date_with_high_risk,
        Some(2)
    );
}

#[test]
fn an_rpi_matches_within_two_hours_of_its_interval_only() {
    let key = key_of_day(3, DAY, ReportType::ConfirmedTest, None);
    let interval = DAY * 144 + 50;
    let rpi = TekKeys::derive(&key.key_data)
        .rpi_cipher()
        .rpi(interval as u32);
    let seen_at = |time: u64| Observation {
        rpi,
        aem: [0; 4],
        time,
        attenuation: 60,
    };
    let cases = [
        (
            "12 intervals later, last second",
            (interval + 12) * 600 + 599,
            true,
        ),
        ("13 intervals later", (interval + 13) * 600, false),
        ("12 intervals earlier", (interval - 12) * 600, true),
        ("just before that", (interval - 12) * 600 - 1, false),
        ("in its own interval", interval * 600 + 300, true),
    ];
    for (name, time, matches_expected) in cases {
        let matches = match_keys(
            std::slice::from_ref(&key),
            &log(vec![seen_at(time)]),
            &MatchOptions::at(at(DAY + 1, 0, 0)),
        )
        .unwrap();
        assert_eq!(
            matches.observations_matched == 1,
            matches_expected,
            "{name}"
        );
    }
}

#[test]
fn keys_shorter_than_a_day_derive_only_their_own_intervals() {
    let start = DAY * 144 + 60;
    let beacon = |interval: u64| {
        let keys = TekKeys::derive(&tek(4));
        let rpi = keys.rpi_cipher().rpi(interval as u32);
        Observation {
            rpi,
            aem: keys.aem_cipher().encrypt(&rpi, &METADATA),
            time: interval * 600 + 10,
            attenuation: 50,
        }
    };
    let observations = log(vec![beacon(start), beacon(start + 1), beacon(start + 2)]);
    for (period, expected) in [(1u32, 1usize), (2, 2), (144, 3)] {
        let key = DiagnosisKey {
            rolling_start_interval_number: start as u32,
            rolling_period: period,
            ..key_of_day(4, DAY, ReportType::ConfirmedTest, None)
        };
        let matches =
            match_keys(&[key], &observations, &MatchOptions::at(at(DAY + 1, 0, 0))).unwrap();
        assert_eq!(
            matches.observations_matched, expected,
            "rolling period {period}"
        );
    }
}

#[test]
fn key_metadata_gives_report_type_and_infectiousness() {
    use ReportType::*;
    let cases = [
        (ConfirmedTest, Some(0), Some((1, Infectiousness::High))),
        (
            ConfirmedClinicalDiagnosis,
            Some(-4),
            Some((2, Infectiousness::Standard)),
        ),
        (SelfReport, Some(9), Some((3, Infectiousness::Standard))),
        (Recursive, None, Some((4, Infectiousness::Standard))),
        (Unknown, Some(3), Some((1, Infectiousness::High))),
        (ConfirmedTest, Some(10), None),
        (ConfirmedTest, Some(-6), None),
        (Revoked, Some(0), None),
    ];
    for (report_type, days_since_onset, expected) in cases {
        let keys = [key_of_day(5, DAY, report_type, days_since_onset)];
        let matches = match_keys(
            &keys,
            &log(meet(5, at(DAY, 9, 0), 10, 50)),
            &MatchOptions::at(at(DAY, 20, 0)),
        )
        .unwrap();
        let found = windows(&matches)
            .first()
            .map(|window| (window.report_type, window.infectiousness));
        assert_eq!(found, expected, "{report_type:?}, {days_since_onset:?}");
        assert_eq!(
            matches.keys_matched,
            usize::from(report_type != Revoked),
            "{report_type:?}"
        );
    }
}

#[test]
fn windows_last_at_most_thirty_minutes_and_end_at_midnight() {
    // 45 minutes: scans at 0, 4, …, 28 minutes, then 32 to 44.
    let keys = [key_of_day(6, DAY, ReportType::ConfirmedTest, None)];
    let matches = match_keys(
        &keys,
        &log(meet(6, at(DAY, 10, 0), 45, 50)),
        &MatchOptions::at(at(DAY, 20, 0)),
    )
    .unwrap();
    let scans: Vec<usize> = windows(&matches)
        .iter()
        .map(|window| window.scan_instances.len())
        .collect();
    assert_eq!(scans, vec![8, 4]);
    assert_eq!(windows(&matches)[1].start, at(DAY, 10, 32));

    // A key valid from noon to noon, met from 23:50 to 00:06.
    let key = DiagnosisKey {
        rolling_start_interval_number: (DAY * 144 + 72) as u32,
        ..key_of_day(7, DAY, ReportType::ConfirmedTest, None)
    };
    let matches = match_keys(
        &[key],
        &log(meet(7, at(DAY, 23, 50), 20, 50)),
        &MatchOptions::at(at(DAY + 1, 12, 0)),
    )
    .unwrap();
    let days: Vec<(&str, u32, usize)> = matches
        .days
        .iter()
        .map(|day| {
            (
                day.date.as_str(),
                day.age_in_days,
                day.windows[0].scan_instances.len(),
            )
        })
        .collect();
    assert_eq!(days, vec![("2025-11-10", 1, 3), ("2025-11-11", 0, 2)]);
}

#[test]
fn scan_instances_aggregate_the_beacons_of_one_scan() {
    let keys = TekKeys::derive(&tek(8));
    let beacon = |time: u64, attenuation: u8| {
        let rpi = keys.rpi_cipher().rpi((time / 600) as u32);
        Observation {
            rpi,
            aem: keys.aem_cipher().encrypt(&rpi, &METADATA),
            time,
            attenuation,
        }
    };
    let mut observations = vec![
        beacon(at(DAY, 10, 0), 50),
        beacon(at(DAY, 10, 0) + 30, 61),
        beacon(at(DAY, 10, 4), 70),
    ];
    // Another phone, seen by the scan at 10:02.
    observations.extend(meet(9, at(DAY, 10, 2), 1, 40));
    let matches = match_keys(
        &[key_of_day(8, DAY, ReportType::ConfirmedTest, None)],
        &log(observations),
        &MatchOptions::at(at(DAY, 20, 0)),
    )
    .unwrap();
    let window = windows(&matches)[0];
    let scans: Vec<(i32, i32, i64)> = window
        .scan_instances
        .iter()
        .map(|scan| {
            (
                scan.min_attenuation,
                scan.typical_attenuation,
                scan.seconds_since_last_scan,
            )
        })
        .collect();
    assert_eq!(scans, vec![(50, 56, 300), (70, 70, 120)]);
    assert_eq!(window.sightings.len(), 3);
}

#[test]
fn every_strategy_finds_exactly_what_deriving_every_rpi_finds() {
    for hours in [7..22, 0..24] {
        let scenario = simulate::scenario(3, 150, 600, 42, hours.clone());
        let mut expected = BTreeSet::new();
        for (index, key) in scenario.keys.iter().enumerate() {
            let cipher = TekKeys::derive(&key.key_data).rpi_cipher();
            let first = key.rolling_start_interval_number;
            for interval in first..first + key.rolling_period {
                let rpi = cipher.rpi(interval);
                for observation in scenario
                    .log
                    .observations
                    .iter()
                    .filter(|observation| observation.rpi == rpi)
                {
                    if (observation.time / 600).abs_diff(u64::from(interval)) <= 12 {
                        expected.insert((index, observation.time, rpi));
                    }
                }
            }
        }
        assert!(
            !scenario.keys_seen.is_empty(),
            "the scenario meets some diagnosis keys"
        );

        for strategy in MatchStrategy::ALL {
            let options = MatchOptions {
                strategy,
                ..MatchOptions::at(scenario.now)
            };
            let matches = match_keys(&scenario.keys, &scenario.log, &options).unwrap();
            let found: BTreeSet<(usize, u64, [u8; 16])> = windows(&matches)
                .iter()
                .flat_map(|window| {
                    window
                        .sightings
                        .iter()
                        .map(|sighting| (window.key.index, sighting.time, sighting.rpi))
                })
                .collect();
            assert_eq!(found, expected, "{strategy:?}, hours {hours:?}");
            assert_eq!(matches.observations_matched, expected.len(), "{strategy:?}");
            let matched_keys: BTreeSet<usize> = found.iter().map(|(index, _, _)| *index).collect();
            assert_eq!(
                matched_keys,
                scenario.keys_seen.iter().copied().collect(),
                "{strategy:?}"
            );
        }
    }
}

#[test]
fn an_rpi_seen_twice_across_the_edge_of_a_keys_range_is_found_by_decrypting() {
    // The key's RPI of its first interval, seen 13 intervals early (out of
    // range) and again in its interval: decrypting must not skip the second
    // sighting because the RPI was seen before.
    let key = key_of_day(10, DAY, ReportType::ConfirmedTest, None);
    let first = DAY * 144;
    let rpi = TekKeys::derive(&key.key_data)
        .rpi_cipher()
        .rpi(first as u32);
    let seen_at = |time: u64| Observation {
        rpi,
        aem: [0; 4],
        time,
        attenuation: 60,
    };
    let observations = log(vec![seen_at((first - 13) * 600), seen_at(first * 600 + 60)]);
    let options = MatchOptions {
        strategy: MatchStrategy::DecryptObservations,
        ..MatchOptions::at(at(DAY, 20, 0))
    };
    let matches = match_keys(&[key], &observations, &options).unwrap();
    assert_eq!(matches.observations_matched, 1);
    assert_eq!(windows(&matches)[0].start, first * 600 + 60);
}

#[test]
fn keys_of_days_without_observations_cost_nothing() {
    let scenario = simulate::scenario(3, 50, 100, 7, 7..22);
    let options = MatchOptions::at(scenario.now);
    let without = match_keys(&scenario.keys, &scenario.log, &options).unwrap();
    let later = DiagnosisKey {
        rolling_start_interval_number: scenario.keys[0].rolling_start_interval_number + 30 * 144,
        ..scenario.keys[0].clone()
    };
    let mut keys = scenario.keys.clone();
    keys.push(later);
    let with = match_keys(&keys, &scenario.log, &options).unwrap();
    assert!(without.keys_checked > 0);
    assert_eq!(
        with.keys_checked, without.keys_checked,
        "the key of a day without beacons is skipped"
    );
}

#[test]
fn observation_logs_read_and_refuse_the_json_shape() {
    let json = r#"{"calibrationConfidence": 1, "observations": [{"rpi": "8be6cd371c5c891604bfbe49df845096",
        "aem": "72033874", "time": 1585785600, "attenuation": 60}]}"#;
    let parsed: ObservationLog = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.observations[0].rpi[0], 0x8b);
    assert_eq!(parsed.observations[0].aem, [0x72, 0x03, 0x38, 0x74]);
    let round_trip: ObservationLog =
        serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
    assert_eq!(round_trip, parsed);

    let short = json.replace("72033874", "720338");
    let error = serde_json::from_str::<ObservationLog>(&short)
        .unwrap_err()
        .to_string();
    assert!(error.contains("8 hex digits"), "{error}");

    let far = ObservationLog {
        calibration_confidence: 0,
        observations: vec![Observation {
            rpi: [0; 16],
            aem: [0; 4],
            time: u64::MAX,
            attenuation: 1,
        }],
    };
    assert_eq!(
        match_keys(&[], &far, &MatchOptions::at(0)).unwrap_err(),
        ObservationError::Time {
            index: 0,
            time: u64::MAX
        }
    );
}

#[test]
fn keys_built_with_out_of_range_periods_neither_panic_nor_overreach() {
    // `DiagnosisKey::new` refuses these, but its fields are public.
    let observations = log(meet(11, at(DAY, 9, 0), 10, 50));
    let options = MatchOptions::at(at(DAY, 20, 0));
    for (period, expected) in [(0, 0), (1000, 3)] {
        let key = DiagnosisKey {
            rolling_period: period,
            ..key_of_day(11, DAY, ReportType::ConfirmedTest, None)
        };
        let matches = match_keys(&[key], &observations, &options).unwrap();
        assert_eq!(matches.observations_matched, expected, "period {period}");
    }
}
