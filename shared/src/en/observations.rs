//! The phone's log of received beacons, and the indexes matching needs.
//!
//! JSON shape (the `--observations` file of `warn match`):
//! `{"calibrationConfidence": 0, "observations": [{"rpi": "<32 hex>",
//! "aem": "<8 hex>", "time": <unix seconds>, "attenuation": <dB>}]}`.
//!
//! Matching sorts the log once (`ObservationIndex`, internal): into the
//! phone's scans, into a lookup table by RPI, and into the set of intervals
//! that an observation could match (each observation's interval ±2 hours),
//! so that it derives only those.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::crypto::{Aem, Rpi, interval_number};
use super::rpi_index::RpiIndex;

/// An RPI matches when seen within this many intervals of its own (±2 hours).
pub const TOLERANCE_INTERVALS: u32 = 12;
/// Beacons received within this many seconds of the first beacon of a scan
/// belong to that scan (phones scan for a few seconds every few minutes).
pub const SCAN_SECONDS: u64 = 60;

/// One beacon the phone received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The Rolling Proximity Identifier.
    #[serde(with = "hex_bytes")]
    pub rpi: Rpi,
    /// The Associated Encrypted Metadata that came with it.
    #[serde(with = "hex_bytes")]
    pub aem: Aem,
    /// When it was received, unix seconds.
    pub time: u64,
    /// Attenuation in dB (transmit power minus received signal strength).
    pub attenuation: u8,
}

/// The observation log of one phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationLog {
    /// The phone's Bluetooth calibration confidence (0 lowest to 3).
    #[serde(default)]
    pub calibration_confidence: i32,
    /// The beacons, in any order.
    pub observations: Vec<Observation>,
}

/// A log that cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObservationError {
    /// A time whose interval number does not fit 32 bits (past the year 83,000).
    #[error("observation {index}: time {time} is out of range")]
    Time {
        /// Position in the log.
        index: usize,
        /// The time.
        time: u64,
    },
}

/// Hex strings for byte arrays in JSON.
pub(crate) mod hex_bytes {
    use super::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let mut bytes = [0u8; N];
        hex::decode_to_slice(text.as_bytes(), &mut bytes).map_err(|_| {
            serde::de::Error::custom(format_args!("expected {} hex digits, got {text:?}", 2 * N))
        })?;
        Ok(bytes)
    }
}

/// An inclusive range of interval numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IntervalRange {
    pub first: u32,
    pub last: u32,
}

/// The log, sorted and indexed for matching.
pub(crate) struct ObservationIndex<'a> {
    /// The observations sorted by time.
    pub sorted: Vec<&'a Observation>,
    /// Interval number of each sorted observation.
    pub intervals: Vec<u32>,
    /// The phone scan each sorted observation belongs to.
    pub scan_of: Vec<u32>,
    /// Start time of each scan.
    pub scan_starts: Vec<u64>,
    /// Intervals an observation could match, merged and sorted.
    pub coverage: Vec<IntervalRange>,
    /// Sorted observations by RPI.
    pub by_rpi: RpiIndex,
    /// For each sorted observation, the previous one with the same RPI.
    pub previous_same_rpi: Vec<Option<u32>>,
    /// `new_rpis[j]`: how many of the first `j` sorted observations carry
    /// an RPI not seen before them.
    new_rpis: Vec<u32>,
}

impl<'a> ObservationIndex<'a> {
    pub fn new(log: &'a ObservationLog) -> Result<Self, ObservationError> {
        let mut sorted: Vec<&Observation> = log.observations.iter().collect();
        // Ties broken by content, so that the result does not depend on the
        // order of the log.
        sorted.sort_by_key(|observation| {
            (observation.time, observation.rpi, observation.attenuation)
        });
        let intervals = sorted
            .iter()
            .enumerate()
            .map(|(index, observation)| {
                interval_number(observation.time).ok_or(ObservationError::Time {
                    index,
                    time: observation.time,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut scan_of = Vec::with_capacity(sorted.len());
        let mut scan_starts: Vec<u64> = Vec::new();
        for observation in &sorted {
            match scan_starts.last() {
                Some(start) if observation.time - start < SCAN_SECONDS => {}
                _ => scan_starts.push(observation.time),
            }
            scan_of.push((scan_starts.len() - 1) as u32);
        }

        let mut coverage: Vec<IntervalRange> = Vec::new();
        for interval in &intervals {
            let range = IntervalRange {
                first: interval.saturating_sub(TOLERANCE_INTERVALS),
                last: interval.saturating_add(TOLERANCE_INTERVALS),
            };
            match coverage.last_mut() {
                Some(last) if range.first <= last.last.saturating_add(1) => {
                    last.last = last.last.max(range.last);
                }
                _ => coverage.push(range),
            }
        }

        let by_rpi = RpiIndex::new(sorted.iter().map(|observation| observation.rpi));
        let mut previous_same_rpi = vec![None; sorted.len()];
        for pair in by_rpi.entries().windows(2) {
            if pair[0].0 == pair[1].0 {
                previous_same_rpi[pair[1].1 as usize] = Some(pair[0].1);
            }
        }
        let mut new_rpis = Vec::with_capacity(sorted.len() + 1);
        new_rpis.push(0);
        for previous in &previous_same_rpi {
            let count = new_rpis.last().copied().unwrap_or(0);
            new_rpis.push(count + u32::from(previous.is_none()));
        }
        Ok(Self {
            sorted,
            intervals,
            scan_of,
            scan_starts,
            coverage,
            by_rpi,
            previous_same_rpi,
            new_rpis,
        })
    }

    /// Positions of the observations seen in intervals `first..=last`.
    pub fn seen_between(&self, first: u32, last: u32) -> std::ops::Range<usize> {
        let from = self.intervals.partition_point(|interval| *interval < first);
        let to = self.intervals.partition_point(|interval| *interval <= last);
        from..to.max(from)
    }

    /// About how many distinct RPIs the observations at `positions` carry:
    /// those first seen there (an RPI also seen before the range is missed;
    /// RPIs change every few minutes, so those are few). Cheap, for
    /// choosing how to match.
    pub fn distinct_rpis_about(&self, positions: &std::ops::Range<usize>) -> usize {
        (self.new_rpis[positions.end] - self.new_rpis[positions.start]) as usize
    }

    /// Appends to `out` the intervals of `[first, last]` that some
    /// observation could match.
    pub fn covered(&self, first: u32, last: u32, out: &mut Vec<u32>) {
        let start = self.coverage.partition_point(|range| range.last < first);
        for range in &self.coverage[start..] {
            if range.first > last {
                break;
            }
            out.extend(range.first.max(first)..=range.last.min(last));
        }
    }

    /// Seconds since the scan before `scan`, at most `cap` (the first scan
    /// of the log, and scans after a long silence, get `cap`: the phone kept
    /// scanning, it just saw nothing).
    pub fn seconds_since_last_scan(&self, scan: u32, cap: u64) -> u64 {
        let scan = scan as usize;
        match scan.checked_sub(1) {
            Some(previous) => (self.scan_starts[scan] - self.scan_starts[previous]).min(cap),
            None => cap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(seed: u8, time: u64) -> Observation {
        Observation {
            rpi: [seed; 16],
            aem: [0; 4],
            time,
            attenuation: 50,
        }
    }

    #[test]
    fn coverage_merges_overlapping_tolerances() {
        let log = ObservationLog {
            calibration_confidence: 0,
            observations: vec![
                observation(1, 600 * 1000),
                observation(2, 600 * 1020),
                observation(3, 600 * 1100),
                observation(4, 5),
            ],
        };
        let index = ObservationIndex::new(&log).unwrap();
        assert_eq!(
            index.coverage,
            vec![
                IntervalRange { first: 0, last: 12 },
                IntervalRange {
                    first: 988,
                    last: 1032
                },
                IntervalRange {
                    first: 1088,
                    last: 1112
                },
            ]
        );
        let mut out = Vec::new();
        index.covered(1030, 1090, &mut out);
        assert_eq!(out, vec![1030, 1031, 1032, 1088, 1089, 1090]);
    }

    #[test]
    fn distinct_rpis_are_counted_where_first_seen() {
        let log = ObservationLog {
            calibration_confidence: 0,
            observations: vec![
                observation(1, 1000),
                observation(1, 1240),
                observation(2, 1480),
                observation(1, 1720),
                observation(3, 1960),
            ],
        };
        let index = ObservationIndex::new(&log).unwrap();
        assert_eq!(index.distinct_rpis_about(&(0..5)), 3);
        assert_eq!(
            index.distinct_rpis_about(&(1..4)),
            1,
            "RPI 1 was first seen before"
        );
        assert_eq!(index.distinct_rpis_about(&(2..2)), 0);
    }

    #[test]
    fn scans_group_beacons_within_a_minute() {
        let log = ObservationLog {
            calibration_confidence: 0,
            observations: vec![
                observation(1, 1000),
                observation(2, 1059),
                observation(3, 1060),
                observation(4, 1300),
                observation(5, 5000),
            ],
        };
        let index = ObservationIndex::new(&log).unwrap();
        assert_eq!(index.scan_of, vec![0, 0, 1, 2, 3]);
        assert_eq!(index.scan_starts, vec![1000, 1060, 1300, 5000]);
        let since: Vec<u64> = (0..4)
            .map(|scan| index.seconds_since_last_scan(scan, 300))
            .collect();
        assert_eq!(since, vec![300, 60, 240, 300]);
    }
}
