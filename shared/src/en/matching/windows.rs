//! Matched beacons as the framework reports them: scan instances, windows
//! of at most 30 minutes within a UTC day, days; and the types that carry
//! them, with where each value came from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{DAY_SECONDS, Hit, Infectiousness, MAX_WINDOW_SECONDS, MatchOptions};
use crate::en::RpiDeriver;
use crate::en::crypto::{Aem, AemCipher, Metadata, MetadataBytes, Rpi};
use crate::en::observations::{ObservationIndex, ObservationLog, hex_bytes};
use crate::keys::{DiagnosisKey, ReportType};
use crate::risk::v2::{ExposureWindow, ScanInstance};

/// Everything that matched, by day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matches {
    /// Days with windows, oldest first.
    pub days: Vec<ExposureDay>,
    /// Keys checked against the log: HKDF and AES ran for them (the others,
    /// valid on days without beacons, could match nothing).
    pub keys_checked: usize,
    /// Keys with at least one matching beacon.
    pub keys_matched: usize,
    /// Beacons that matched a key.
    pub observations_matched: usize,
}

/// The windows of one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposureDay {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Days before today (a day after today counts as today).
    pub age_in_days: u32,
    /// Its windows, by start time.
    pub windows: Vec<MatchedWindow>,
}

/// One exposure window with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedWindow {
    /// The diagnosis key.
    pub key: MatchedKey,
    /// Days before today.
    pub age_in_days: u32,
    /// Report type, 1 to 4.
    pub report_type: i32,
    /// Infectiousness (never none: such windows are not reported).
    pub infectiousness: Infectiousness,
    /// The observing phone's calibration confidence.
    pub calibration_confidence: i32,
    /// First beacon, unix seconds.
    pub start: u64,
    /// Last beacon, unix seconds.
    pub end: u64,
    /// The scans, as the risk calculation reads them.
    pub scan_instances: Vec<ScanInstance>,
    /// The beacons, with their decrypted metadata.
    pub sightings: Vec<Sighting>,
}

/// The diagnosis key of a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedKey {
    /// Position in the keys handed in.
    pub index: usize,
    /// The key bytes.
    #[serde(with = "hex_bytes")]
    pub key_data: [u8; 16],
    /// Its transmission risk level (0 to 8).
    pub transmission_risk_level: u8,
    /// First interval.
    pub rolling_start_interval_number: u32,
    /// Intervals of validity.
    pub rolling_period: u32,
    /// Its report type as published.
    pub report_type: ReportType,
    /// Days since onset of symptoms as published.
    pub days_since_onset_of_symptoms: Option<i32>,
}

/// One matched beacon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sighting {
    /// When it was received.
    pub time: u64,
    /// The interval whose RPI it carried.
    pub interval: u32,
    /// The RPI.
    #[serde(with = "hex_bytes")]
    pub rpi: Rpi,
    /// Its attenuation, dB.
    pub attenuation: u8,
    /// The AEM received.
    #[serde(with = "hex_bytes")]
    pub aem: Aem,
    /// The AEM decrypted.
    #[serde(with = "hex_bytes")]
    pub metadata: MetadataBytes,
    /// Metadata version, `major.minor`.
    pub version: String,
    /// Transmit power from the metadata, dBm.
    pub tx_power: i8,
}

impl MatchedWindow {
    /// The window as the risk calculation reads it.
    pub fn exposure_window(&self) -> ExposureWindow {
        ExposureWindow {
            age_in_days: self.age_in_days,
            report_type: self.report_type,
            infectiousness: self.infectiousness.into(),
            calibration_confidence: self.calibration_confidence,
            scan_instances: self.scan_instances.clone(),
        }
    }
}

impl Matches {
    /// All windows, as the risk calculation reads them.
    pub fn exposure_windows(&self) -> Vec<ExposureWindow> {
        self.days
            .iter()
            .flat_map(|day| &day.windows)
            .map(MatchedWindow::exposure_window)
            .collect()
    }
}

/// The windows of all hits (sorted by key, then time), by day, and the
/// number of keys matched.
pub(super) fn days(
    keys: &[DiagnosisKey],
    hits: &[Hit],
    index: &ObservationIndex<'_>,
    log: &ObservationLog,
    options: &MatchOptions,
    deriver: &RpiDeriver,
) -> (Vec<ExposureDay>, usize) {
    let today = options.now / DAY_SECONDS;
    let mut by_day: BTreeMap<u64, Vec<MatchedWindow>> = BTreeMap::new();
    let mut keys_matched = 0;
    for key_hits in hits.chunk_by(|a, b| a.key == b.key) {
        keys_matched += 1;
        let key = &keys[key_hits[0].key as usize];
        let infectiousness = options.infectiousness(key.days_since_onset_of_symptoms);
        let Some(report_type) = options.report_type(key.report_type) else {
            continue;
        };
        if infectiousness == Infectiousness::None {
            continue;
        }
        let window_of = WindowBuilder {
            index,
            options,
            key: MatchedKey {
                index: key_hits[0].key as usize,
                key_data: key.key_data,
                transmission_risk_level: key.transmission_risk_level,
                rolling_start_interval_number: key.rolling_start_interval_number,
                rolling_period: key.rolling_period,
                report_type: key.report_type,
                days_since_onset_of_symptoms: key.days_since_onset_of_symptoms,
            },
            report_type,
            infectiousness,
            calibration_confidence: log.calibration_confidence,
            aem: deriver.tek_keys(&key.key_data).aem_cipher(),
            today,
        };
        for (day, window) in window_of.windows(key_hits) {
            by_day.entry(day).or_default().push(window);
        }
    }
    let days = by_day
        .into_iter()
        .map(|(day, mut windows)| {
            windows.sort_by_key(|window| (window.start, window.key.index));
            ExposureDay {
                date: date_of_day(day),
                age_in_days: u32::try_from(today.saturating_sub(day)).unwrap_or(u32::MAX),
                windows,
            }
        })
        .collect();
    (days, keys_matched)
}

/// Turns the hits of one key into windows.
struct WindowBuilder<'a> {
    index: &'a ObservationIndex<'a>,
    options: &'a MatchOptions,
    key: MatchedKey,
    report_type: i32,
    infectiousness: Infectiousness,
    calibration_confidence: i32,
    aem: AemCipher,
    today: u64,
}

impl WindowBuilder<'_> {
    /// Windows with their UTC day. `hits` are of one key, in time order.
    fn windows(&self, hits: &[Hit]) -> Vec<(u64, MatchedWindow)> {
        let index = self.index;
        // (day, start of the window's first scan, window)
        let mut windows: Vec<(u64, u64, MatchedWindow)> = Vec::new();
        for scan_hits in hits.chunk_by(|a, b| {
            index.scan_of[a.observation as usize] == index.scan_of[b.observation as usize]
        }) {
            let scan = index.scan_of[scan_hits[0].observation as usize];
            let scan_start = index.scan_starts[scan as usize];
            let day = scan_start / DAY_SECONDS;
            let sightings: Vec<Sighting> = scan_hits.iter().map(|hit| self.sighting(hit)).collect();
            let attenuations = || {
                sightings
                    .iter()
                    .map(|sighting| u64::from(sighting.attenuation))
            };
            // At least one sighting per scan instance; the mean of u8 values fits.
            let count = sightings.len() as u64;
            let scan_instance = ScanInstance {
                min_attenuation: attenuations().min().map_or(0, |min| min as i32),
                typical_attenuation: ((attenuations().sum::<u64>() + count / 2) / count) as i32,
                seconds_since_last_scan: self
                    .index
                    .seconds_since_last_scan(scan, self.options.max_seconds_since_last_scan)
                    as i64,
            };
            let joins = windows.last().is_some_and(|(window_day, first_scan, _)| {
                *window_day == day && scan_start - first_scan < MAX_WINDOW_SECONDS
            });
            if !joins {
                windows.push((day, scan_start, self.empty_window(day)));
            }
            if let Some((_, _, window)) = windows.last_mut() {
                if window.sightings.is_empty() {
                    window.start = sightings
                        .first()
                        .map_or(scan_start, |sighting| sighting.time);
                }
                window.end = sightings
                    .last()
                    .map_or(window.end, |sighting| sighting.time);
                window.scan_instances.push(scan_instance);
                window.sightings.extend(sightings);
            }
        }
        windows
            .into_iter()
            .map(|(day, _, window)| (day, window))
            .collect()
    }

    fn sighting(&self, hit: &Hit) -> Sighting {
        let observation = self.index.sorted[hit.observation as usize];
        let metadata = self.aem.decrypt(&observation.rpi, &observation.aem);
        Sighting {
            time: observation.time,
            interval: hit.interval,
            rpi: observation.rpi,
            attenuation: observation.attenuation,
            aem: observation.aem,
            metadata: metadata.0,
            version: format!("{}.{}", metadata.version_major(), metadata.version_minor()),
            tx_power: Metadata::tx_power(&metadata),
        }
    }

    fn empty_window(&self, day: u64) -> MatchedWindow {
        MatchedWindow {
            key: self.key.clone(),
            age_in_days: u32::try_from(self.today.saturating_sub(day)).unwrap_or(u32::MAX),
            report_type: self.report_type,
            infectiousness: self.infectiousness,
            calibration_confidence: self.calibration_confidence,
            start: 0,
            end: 0,
            scan_instances: Vec::new(),
            sightings: Vec::new(),
        }
    }
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (the proleptic Gregorian
/// calendar; Howard Hinnant's `civil_from_days`).
pub fn date_of_day(day: u64) -> String {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day_of_month = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day_of_month:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(18_353), "2020-04-01");
        assert_eq!(date_of_day(18_354), "2020-04-02");
        assert_eq!(date_of_day(11_016), "2000-02-29");
        assert_eq!(date_of_day(20_513), "2026-03-01");
    }
}
