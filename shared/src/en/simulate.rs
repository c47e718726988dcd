//! The log a phone writes near other phones: for tests, benchmarks and
//! demonstrations of matching.
//!
//! [`encounter`] gives the beacons one phone receives from another that
//! broadcasts a given TEK; [`scenario`] builds a reproducible fortnight of
//! diagnosis keys and a log in which a few of them appear.

use std::ops::Range;

use super::crypto::{INTERVALS_PER_DAY, MetadataBytes, Tek, TekKeys, interval_number};
use super::matching::DAY_SECONDS;
use super::observations::{Observation, ObservationLog};
use crate::keys::{DiagnosisKey, ReportType};

/// A stretch of time near another phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encounter {
    /// First scan, unix seconds.
    pub start: u64,
    /// Seconds it lasts.
    pub duration: u64,
    /// Attenuation of every beacon, dB.
    pub attenuation: u8,
}

/// Seconds between two scans of the simulated phone.
pub const SCAN_INTERVAL_SECONDS: u64 = 240;

/// The beacons received during `encounter` from a phone broadcasting `tek`
/// with `metadata`: one per scan, a scan every `scan_interval` seconds
/// from the start (at least one second apart).
pub fn encounter(
    tek: &Tek,
    metadata: &MetadataBytes,
    encounter: &Encounter,
    scan_interval: u64,
) -> Vec<Observation> {
    let keys = TekKeys::derive(tek);
    let (rpi, aem) = (keys.rpi_cipher(), keys.aem_cipher());
    let end = encounter.start.saturating_add(encounter.duration);
    let step = usize::try_from(scan_interval.max(1)).unwrap_or(usize::MAX);
    (encounter.start..end)
        .step_by(step)
        .filter_map(|time| {
            let rpi = rpi.rpi(interval_number(time)?);
            Some(Observation {
                rpi,
                aem: aem.encrypt(&rpi, metadata),
                time,
                attenuation: encounter.attenuation,
            })
        })
        .collect()
}

/// A reproducible pseudo-random generator (SplitMix64); not for secrets.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must not be 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// 16 random bytes.
    pub fn key(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        key[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        key
    }
}

/// Diagnosis keys of `days` days before `now` and a log of the same days.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Now, unix seconds (noon UTC).
    pub now: u64,
    /// `keys_per_day` full-day keys for each of the days before today.
    pub keys: Vec<DiagnosisKey>,
    /// The log: encounters of 1 to 8 scans with 1 to 3 phones, one phone in
    /// twenty a diagnosis key's owner.
    pub log: ObservationLog,
    /// Positions in `keys` of the keys that appear in the log.
    pub keys_seen: Vec<usize>,
}

/// Builds a [`Scenario`]: what the matching benchmarks measure. Encounters
/// start within `hours` (UTC) of each day: `7..22` leaves the night without
/// beacons, as a phone's log does (the sparse case); `0..24` makes every
/// interval of every day a candidate (the dense case).
pub fn scenario(
    days: u32,
    keys_per_day: u32,
    observations: usize,
    seed: u64,
    hours: Range<u64>,
) -> Scenario {
    let mut random = SplitMix64(seed);
    let today = 20_400u64;
    let now = today * DAY_SECONDS + DAY_SECONDS / 2;
    let first_day = today - u64::from(days);
    let keys: Vec<DiagnosisKey> = (0..days)
        .flat_map(|day| (0..keys_per_day).map(move |index| (day, index)))
        .map(|(day, index)| {
            let start = (first_day + u64::from(day)) * u64::from(INTERVALS_PER_DAY);
            DiagnosisKey {
                key_data: random.key(),
                transmission_risk_level: 1 + (index % 8) as u8,
                rolling_start_interval_number: start as u32,
                rolling_period: INTERVALS_PER_DAY,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some((index % 7) as i32 - 2),
            }
        })
        .collect();

    let metadata = [0x40, 0xf6, 0, 0];
    let mut log = Vec::with_capacity(observations + 24);
    let mut keys_seen = Vec::new();
    while log.len() < observations && days > 0 {
        let day = random.below(u64::from(days));
        let first_second = hours.start.min(24) * 3600;
        let seconds = hours.end.clamp(hours.start.min(24), 24) * 3600 - first_second;
        let start = (first_day + day) * DAY_SECONDS + first_second + random.below(seconds);
        let scans = 1 + random.below(8);
        for _ in 0..1 + random.below(3) {
            let tek = if random.below(20) == 0 && keys_per_day > 0 {
                let key = (day * u64::from(keys_per_day) + random.below(u64::from(keys_per_day)))
                    as usize;
                keys_seen.push((key, log.len()));
                keys[key].key_data
            } else {
                random.key()
            };
            let meeting = Encounter {
                start,
                duration: scans * SCAN_INTERVAL_SECONDS,
                attenuation: 40 + random.below(40) as u8,
            };
            log.extend(encounter(&tek, &metadata, &meeting, SCAN_INTERVAL_SECONDS));
        }
    }
    log.truncate(observations);
    let mut keys_seen: Vec<usize> = keys_seen
        .into_iter()
        .filter(|(_, first_beacon)| *first_beacon < log.len())
        .map(|(key, _)| key)
        .collect();
    keys_seen.sort_unstable();
    keys_seen.dedup();
    Scenario {
        now,
        keys,
        log: ObservationLog {
            calibration_confidence: 1,
            observations: log,
        },
        keys_seen,
    }
}
