//! A simulated Exposure Notification framework: diagnosis keys against the
//! phone's observation log, giving exposure windows as the framework
//! reports them.
//!
//! For each key, only the intervals that some observation could match are
//! derived (its interval ±2 hours, within the key's own rolling period);
//! keys of days the phone saw nothing cost nothing. Each derived RPI is
//! looked up in the log; a hit counts when the beacon was received within
//! ±2 hours of the RPI's interval. When the log holds fewer beacons near
//! the key's day than the key has such intervals, the beacons' RPIs are
//! decrypted under the key instead ([`MatchStrategy`]): a phone's log is
//! sparse, so that is usually the cheaper way.
//!
//! The matched beacons of a key then become exposure windows: beacons of
//! one phone scan (within [`SCAN_SECONDS`](super::observations::SCAN_SECONDS)) form a scan
//! instance with the minimum and the typical (mean) attenuation and the
//! seconds since the phone's previous scan (capped, by default at 300); scan
//! instances of one UTC day form windows of at most 30 minutes. The window's
//! report type and infectiousness come from the key's metadata as
//! [`MatchOptions`] maps it; windows of keys that are not infectious (and
//! revoked keys) are not reported, as the framework does not report them.

mod windows;

use serde::Serialize;

use super::RpiDeriver;
use super::crypto::{INTERVALS_PER_DAY, Rpi, interval_of_padded_data};
use super::observations::{
    ObservationError, ObservationIndex, ObservationLog, TOLERANCE_INTERVALS,
};
use crate::keys::{DiagnosisKey, ReportType};
use crate::risk::v2::report_type;

pub use windows::{ExposureDay, MatchedKey, MatchedWindow, Matches, Sighting, date_of_day};

/// Seconds in a day.
pub const DAY_SECONDS: u64 = 86_400;
/// The longest exposure window.
pub const MAX_WINDOW_SECONDS: u64 = 30 * 60;

/// How infectious the owner of a key was on the key's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "i32")]
pub enum Infectiousness {
    /// Not infectious: the framework reports no window.
    None,
    /// Standard (1).
    Standard,
    /// High (2).
    High,
}

impl From<Infectiousness> for i32 {
    fn from(infectiousness: Infectiousness) -> Self {
        match infectiousness {
            Infectiousness::None => 0,
            Infectiousness::Standard => 1,
            Infectiousness::High => 2,
        }
    }
}

/// What the phone knows besides keys and log: today, and how key metadata
/// maps to report type and infectiousness (the framework's
/// `DiagnosisKeysDataMapping`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchOptions {
    /// Now, unix seconds: windows are dated relative to its UTC day.
    pub now: u64,
    /// Report type (1 to 4) of keys that carry none.
    pub report_type_when_missing: i32,
    /// Infectiousness for days since onset of symptoms -14 to 14 (index 0
    /// is -14); keys beyond that range are not infectious.
    pub days_since_onset_to_infectiousness: [Infectiousness; 29],
    /// Infectiousness of keys without days since onset.
    pub infectiousness_when_days_since_onset_missing: Infectiousness,
    /// Cap of `secondsSinceLastScan`: the phone scans at least this often,
    /// so a longer silence only means it saw nothing.
    pub max_seconds_since_last_scan: u64,
    /// How to find a key's RPIs in the log.
    pub strategy: MatchStrategy,
}

/// How matching finds a key's RPIs in the log; all give the same matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchStrategy {
    /// Per key, whichever of the two below costs fewer AES blocks (distinct
    /// RPIs seen near the key's days against candidate intervals).
    #[default]
    Cheapest,
    /// Derive the RPI of every interval of the key that some observation
    /// could match, and look each up in the log.
    DeriveIntervals,
    /// Decrypt each RPI seen within the key's validity ±2 hours under the
    /// key's RPIK, and check whether the plaintext names one of its
    /// intervals (AES is a permutation: it does exactly when the RPI is the
    /// key's RPI of that interval).
    DecryptObservations,
}

impl MatchStrategy {
    /// Every strategy, for comparing them (they must agree).
    pub const ALL: [MatchStrategy; 3] = [
        MatchStrategy::Cheapest,
        MatchStrategy::DeriveIntervals,
        MatchStrategy::DecryptObservations,
    ];
}

impl MatchOptions {
    /// The defaults, at `now`: missing report type is a confirmed test,
    /// missing onset standard infectiousness; high infectiousness from 2
    /// days before to 3 days after onset, standard from 5 days before to 9
    /// days after, none otherwise (SPEC is silent: this project's choice);
    /// scans at least every 300 seconds.
    pub fn at(now: u64) -> Self {
        let days_since_onset_to_infectiousness =
            std::array::from_fn(|index| match index as i32 - 14 {
                -2..=3 => Infectiousness::High,
                -5..=9 => Infectiousness::Standard,
                _ => Infectiousness::None,
            });
        Self {
            now,
            report_type_when_missing: report_type::CONFIRMED_TEST,
            days_since_onset_to_infectiousness,
            infectiousness_when_days_since_onset_missing: Infectiousness::Standard,
            max_seconds_since_last_scan: 300,
            strategy: MatchStrategy::Cheapest,
        }
    }

    /// The infectiousness a key's days since onset imply.
    pub fn infectiousness(&self, days_since_onset_of_symptoms: Option<i32>) -> Infectiousness {
        match days_since_onset_of_symptoms {
            None => self.infectiousness_when_days_since_onset_missing,
            Some(days) => usize::try_from(i64::from(days) + 14)
                .ok()
                .and_then(|index| self.days_since_onset_to_infectiousness.get(index).copied())
                .unwrap_or(Infectiousness::None),
        }
    }

    /// The window report type (1 to 4) of a key's report type; `None` for
    /// revoked keys, which never match.
    pub fn report_type(&self, report_type: ReportType) -> Option<i32> {
        match report_type {
            ReportType::ConfirmedTest => Some(report_type::CONFIRMED_TEST),
            ReportType::ConfirmedClinicalDiagnosis => {
                Some(report_type::CONFIRMED_CLINICAL_DIAGNOSIS)
            }
            ReportType::SelfReport => Some(report_type::SELF_REPORT),
            ReportType::Recursive => Some(report_type::RECURSIVE),
            ReportType::Unknown => Some(self.report_type_when_missing),
            ReportType::Revoked => None,
        }
    }
}

/// Keys whose RPIKs are derived together in [`match_keys`].
const KEYS_PER_CHUNK: usize = 256;

/// A key of a chunk that has candidate intervals.
struct Pending {
    /// Its index in the keys.
    key: u32,
    /// Its first and last interval.
    first: u32,
    last: u32,
    /// Its candidate intervals, in the chunk's buffer.
    candidates: std::ops::Range<usize>,
}

/// A beacon that matched: key, interval and position in the sorted log.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    key: u32,
    observation: u32,
    interval: u32,
}

/// Matches diagnosis keys against a log.
pub fn match_keys(
    keys: &[DiagnosisKey],
    log: &ObservationLog,
    options: &MatchOptions,
) -> Result<Matches, ObservationError> {
    let index = ObservationIndex::new(log)?;
    let mut chunk = Chunk::default();
    let mut matcher = KeyMatcher {
        index: &index,
        options,
        deriver: RpiDeriver::new(),
        observed: Vec::with_capacity(256),
        hits: Vec::new(),
    };
    let mut keys_checked = 0;
    // Keys go in chunks: first the keys that have candidate intervals are
    // found (their candidates kept in one buffer), then their RPIKs are
    // derived together (HKDFs interleaved, see `RpiDeriver::rpiks`), then
    // each key's RPIs are derived or the log's RPIs decrypted.
    for (chunk_index, chunk_keys) in keys.chunks(KEYS_PER_CHUNK).enumerate() {
        chunk.select(chunk_keys, chunk_index * KEYS_PER_CHUNK, &index, options);
        chunk.derive_rpiks(&matcher.deriver);
        for (key, rpik) in chunk.pending.iter().zip(&chunk.rpiks) {
            keys_checked += 1;
            matcher.match_key(key, rpik, &chunk.candidates[key.candidates.clone()]);
        }
    }
    let KeyMatcher {
        deriver, mut hits, ..
    } = matcher;
    hits.sort_unstable();
    let (days, keys_matched) = windows::days(keys, &hits, &index, log, options, &deriver);
    Ok(Matches {
        days,
        keys_checked,
        keys_matched,
        observations_matched: hits.len(),
    })
}

/// The buffers of a chunk of keys, kept from chunk to chunk.
struct Chunk {
    /// The chunk's keys that have candidate intervals.
    pending: Vec<Pending>,
    /// Their key data, in the same order.
    teks: Vec<[u8; 16]>,
    /// Their RPIKs, in the same order.
    rpiks: Vec<[u8; 16]>,
    /// Their candidate intervals, one key's after another.
    candidates: Vec<u32>,
}

impl Default for Chunk {
    fn default() -> Self {
        Self {
            pending: Vec::with_capacity(KEYS_PER_CHUNK),
            teks: Vec::with_capacity(KEYS_PER_CHUNK),
            rpiks: Vec::with_capacity(KEYS_PER_CHUNK),
            candidates: Vec::with_capacity(256),
        }
    }
}

impl Chunk {
    /// Step 1: the keys of `keys` (the first being key number `first_key`)
    /// that can match: not revoked, and valid in some interval an
    /// observation could match (their candidates).
    #[inline]
    fn select(
        &mut self,
        keys: &[DiagnosisKey],
        first_key: usize,
        index: &ObservationIndex<'_>,
        options: &MatchOptions,
    ) {
        self.pending.clear();
        self.teks.clear();
        self.candidates.clear();
        for (offset, key) in keys.iter().enumerate() {
            if options.report_type(key.report_type).is_none() {
                continue;
            }
            let first = key.rolling_start_interval_number;
            // `DiagnosisKey::new` keeps the period within 1..=144, but its
            // fields are public: a key built otherwise must not derive
            // more, or panic.
            let period = key.rolling_period.min(INTERVALS_PER_DAY);
            let Some(last) = period
                .checked_sub(1)
                .and_then(|extra| first.checked_add(extra))
            else {
                continue;
            };
            let start = self.candidates.len();
            index.covered(first, last, &mut self.candidates);
            if self.candidates.len() == start {
                continue;
            }
            self.pending.push(Pending {
                key: (first_key + offset) as u32,
                first,
                last,
                candidates: start..self.candidates.len(),
            });
            self.teks.push(key.key_data);
        }
    }

    /// Step 2: the RPIKs of the selected keys, derived together.
    #[inline]
    fn derive_rpiks(&mut self, deriver: &RpiDeriver) {
        self.rpiks.clear();
        deriver.rpiks(&self.teks, &mut self.rpiks);
    }
}

/// Step 3: one key's RPIs found in the log, collecting the hits of every
/// key.
struct KeyMatcher<'a, 'log> {
    index: &'a ObservationIndex<'log>,
    options: &'a MatchOptions,
    deriver: RpiDeriver,
    /// Positions of the observations to decrypt (a buffer kept between
    /// keys).
    observed: Vec<u32>,
    /// Every hit so far.
    hits: Vec<Hit>,
}

impl KeyMatcher<'_, '_> {
    /// Finds the hits of `key` (its RPIK `rpik`, its candidate intervals
    /// `candidates`) by whichever way [`MatchStrategy`] chooses.
    #[inline]
    fn match_key(&mut self, key: &Pending, rpik: &[u8; 16], candidates: &[u32]) {
        let seen = self.index.seen_between(
            key.first.saturating_sub(TOLERANCE_INTERVALS),
            key.last.saturating_add(TOLERANCE_INTERVALS),
        );
        let decrypt = match self.options.strategy {
            MatchStrategy::Cheapest => self.index.distinct_rpis_about(&seen) < candidates.len(),
            MatchStrategy::DeriveIntervals => false,
            MatchStrategy::DecryptObservations => true,
        };
        if decrypt {
            self.decrypt_observations(key, rpik, seen);
        } else {
            self.derive_intervals(key, rpik, candidates);
        }
    }

    /// Decrypts the RPIs seen at the positions `seen` (each RPI once)
    /// under `rpik`; a plaintext naming an interval of the key is a hit.
    #[inline]
    fn decrypt_observations(
        &mut self,
        key: &Pending,
        rpik: &[u8; 16],
        seen: std::ops::Range<usize>,
    ) {
        let index = self.index;
        // Each RPI once: skip an observation whose RPI was already seen in
        // this range.
        self.observed.clear();
        self.observed.extend(
            seen.clone()
                .filter(|position| {
                    index.previous_same_rpi[*position]
                        .is_none_or(|previous| (previous as usize) < seen.start)
                })
                .map(|position| position as u32),
        );
        let plaintexts = self.deriver.decrypted_with_rpik(
            rpik,
            self.observed
                .iter()
                .map(|position| index.sorted[*position as usize].rpi),
        );
        for (position, plaintext) in self.observed.iter().zip(plaintexts) {
            let Some(interval) = interval_of_padded_data(plaintext)
                .filter(|interval| (key.first..=key.last).contains(interval))
            else {
                continue;
            };
            let rpi = &index.sorted[*position as usize].rpi;
            collect_hits(index, key.key, interval, rpi, &mut self.hits);
        }
    }

    /// Derives the key's RPIs of its `candidates` intervals under `rpik`
    /// and looks each up in the log.
    #[inline]
    fn derive_intervals(&mut self, key: &Pending, rpik: &[u8; 16], candidates: &[u32]) {
        let rpis = self
            .deriver
            .selected_with_rpik(rpik, candidates.iter().copied());
        for (interval, rpi) in candidates.iter().zip(rpis) {
            collect_hits(self.index, key.key, *interval, rpi, &mut self.hits);
        }
    }
}

/// Records the observations of `rpi` (the key's RPI of `interval`) that were
/// seen within the tolerance of that interval.
#[inline]
fn collect_hits(
    index: &ObservationIndex<'_>,
    key: u32,
    interval: u32,
    rpi: &Rpi,
    hits: &mut Vec<Hit>,
) {
    for &(_, observation) in index.by_rpi.lookup(rpi) {
        if index.intervals[observation as usize].abs_diff(interval) <= TOLERANCE_INTERVALS {
            hits.push(Hit {
                key,
                observation,
                interval,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infectiousness_mapping() {
        let options = MatchOptions::at(0);
        let cases = [
            (None, Infectiousness::Standard),
            (Some(-15), Infectiousness::None),
            (Some(-14), Infectiousness::None),
            (Some(-5), Infectiousness::Standard),
            (Some(-2), Infectiousness::High),
            (Some(3), Infectiousness::High),
            (Some(9), Infectiousness::Standard),
            (Some(10), Infectiousness::None),
            (Some(4000), Infectiousness::None),
            (Some(i32::MIN), Infectiousness::None),
        ];
        for (days, expected) in cases {
            assert_eq!(options.infectiousness(days), expected, "{days:?}");
        }
    }
}
