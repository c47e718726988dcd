//! The phone's work on downloaded bundles, as one job: verify every bundle,
//! collect the keys of the valid ones (a revised key replaces the key it
//! revises), match them against the observation log in chunks, and score
//! the exposure windows (version 2). Progress is reported after each bundle
//! and each chunk, so a page can show a bar while a worker runs it.
//!
//! The page sends it to the worker as a [`Request::Match`](crate::task::Request::Match)
//! with the bundles' bytes attached in the order of [`JobSpec::bundle_names`].

use serde::{Deserialize, Serialize};
use shared::en::matching::MatchedWindow;
use shared::en::{MatchOptions, ObservationLog, match_keys};
use shared::keys::{DiagnosisKey, DistinctKeys};
use shared::risk::defaults;
use shared::risk::v2::{ExposureWindow, RiskCalculationParameters, RiskResult};

use crate::check::{Failure, check_keeping};
use crate::keys::{PublishedKey, key_ring};
use crate::{Language, Reason};

/// Keys matched per step between two progress reports.
pub const CHUNK_KEYS: usize = 8_192;

/// What the page asks for (everything but the bundles' bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// The server's published keys.
    pub keys: Vec<PublishedKey>,
    /// A PEM public key pasted by the person (may be empty).
    #[serde(default)]
    pub pasted_key: String,
    /// A name per bundle (its path), for the report.
    pub bundle_names: Vec<String>,
    /// The phone's observation log.
    pub log: ObservationLog,
    /// Now, unix seconds (for the age of each window).
    pub now: u64,
    /// Risk parameters (version 2); the production values when absent.
    #[serde(default)]
    pub parameters: Option<RiskCalculationParameters>,
}

/// How far the job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Steps done (bundles verified plus key chunks matched).
    pub done: usize,
    /// Steps in all.
    pub total: usize,
}

/// What the job found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Per bundle, in the order given.
    pub bundles: Vec<BundleReport>,
    /// Distinct diagnosis keys of the valid bundles.
    pub diagnosis_keys: usize,
    /// Keys of valid bundles that are not valid keys (left out).
    pub keys_refused: usize,
    /// Keys checked against the log (valid on days with beacons).
    pub keys_checked: usize,
    /// Keys with at least one matching beacon.
    pub keys_matched: usize,
    /// Beacons that matched a key.
    pub observations_matched: usize,
    /// The exposure windows found, by start time.
    pub windows: Vec<WindowReport>,
    /// The version 2 result over those windows.
    pub result: RiskResult,
}

/// One bundle's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleReport {
    /// Its name.
    pub name: String,
    /// Whether its signature verified.
    pub valid: bool,
    /// Why not, in German.
    pub reason_german: Option<String>,
    /// Why not, in English.
    pub reason_english: Option<String>,
    /// Keys it holds (0 when not readable).
    pub keys: usize,
}

/// One exposure window, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowReport {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// First beacon, unix seconds.
    pub start: u64,
    /// Last beacon, unix seconds.
    pub end: u64,
    /// The key's transmission risk level.
    pub transmission_risk_level: u8,
    /// The window as the risk calculation reads it.
    pub window: ExposureWindow,
}

impl WindowReport {
    fn of(date: &str, window: &MatchedWindow) -> Self {
        Self {
            date: date.to_owned(),
            start: window.start,
            end: window.end,
            transmission_risk_level: window.key.transmission_risk_level,
            window: window.exposure_window(),
        }
    }
}

/// Why the job could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// No usable key.
    Keys(crate::keys::KeyProblem),
    /// The log cannot be matched.
    Log(String),
    /// The bytes do not match the names.
    BundleCount {
        /// Names given.
        names: usize,
        /// Bundles given.
        bundles: usize,
    },
    /// The risk parameters cannot score a window.
    Risk(String),
}

impl JobError {
    /// The reason in `language`.
    pub fn describe(&self, language: Language) -> String {
        match (self, language) {
            (Self::Keys(problem), _) => problem.describe(language),
            (Self::Log(reason), Language::German) => {
                format!("Das Beobachtungsprotokoll ist nicht verwendbar: {reason}")
            }
            (Self::Log(reason), Language::English) => {
                format!("The observation log cannot be used: {reason}")
            }
            (Self::BundleCount { names, bundles }, Language::German) => {
                format!("{names} Paketnamen, aber {bundles} Pakete")
            }
            (Self::BundleCount { names, bundles }, Language::English) => {
                format!("{names} bundle names but {bundles} bundles")
            }
            (Self::Risk(reason), Language::German) => {
                format!("Die Risikoberechnung ist nicht möglich: {reason}")
            }
            (Self::Risk(reason), Language::English) => {
                format!("The risk cannot be calculated: {reason}")
            }
        }
    }

    /// The reason in both languages.
    pub fn reason(&self) -> Reason {
        Reason::of(|language| self.describe(language))
    }
}

/// Runs the job; `progress` hears after every bundle and every chunk.
pub fn run(
    spec: &JobSpec,
    bundles: &[Vec<u8>],
    mut progress: impl FnMut(Progress),
) -> Result<Outcome, JobError> {
    if spec.bundle_names.len() != bundles.len() {
        return Err(JobError::BundleCount {
            names: spec.bundle_names.len(),
            bundles: bundles.len(),
        });
    }
    let ring = key_ring(&spec.keys, &spec.pasted_key).map_err(JobError::Keys)?;
    // A rough count until the keys are known: one chunk per bundle.
    let mut total = bundles.len() * 2;
    let mut done = 0;
    let mut keys = DistinctKeys::default();
    let mut keys_refused = 0;
    let mut reports = Vec::with_capacity(bundles.len());
    for (name, bytes) in spec.bundle_names.iter().zip(bundles) {
        let (checked, verified) = check_keeping(name.clone(), bytes, &ring);
        if let Some(export) = &verified {
            for key in export.keys.iter().chain(&export.revised_keys) {
                match DiagnosisKey::from_proto(key) {
                    Ok(key) => keys.insert(key),
                    Err(_) => keys_refused += 1,
                }
            }
        }
        let reason = checked.outcome.as_ref().err();
        reports.push(BundleReport {
            name: name.clone(),
            valid: verified.is_some(),
            reason_german: reason.map(|failure: &Failure| failure.describe(Language::German)),
            reason_english: reason.map(|failure| failure.describe(Language::English)),
            keys: checked.summary.as_ref().map_or(0, |summary| summary.keys),
        });
        done += 1;
        progress(Progress { done, total });
    }

    let options = MatchOptions::at(spec.now);
    let chunks = keys.len().div_ceil(CHUNK_KEYS);
    total = done + chunks;
    let mut windows = Vec::new();
    let (mut keys_checked, mut keys_matched, mut observations_matched) = (0, 0, 0);
    for chunk in keys.as_slice().chunks(CHUNK_KEYS) {
        let matches = match_keys(chunk, &spec.log, &options)
            .map_err(|error| JobError::Log(error.to_string()))?;
        keys_checked += matches.keys_checked;
        keys_matched += matches.keys_matched;
        observations_matched += matches.observations_matched;
        for day in &matches.days {
            windows.extend(
                day.windows
                    .iter()
                    .map(|window| WindowReport::of(&day.date, window)),
            );
        }
        done += 1;
        progress(Progress { done, total });
    }
    windows.sort_by_key(|window| (window.start, window.end));
    let parameters = spec.parameters.clone().unwrap_or_else(defaults::v2);
    let exposure_windows: Vec<ExposureWindow> =
        windows.iter().map(|report| report.window.clone()).collect();
    let result = parameters
        .calculate(&exposure_windows)
        .map_err(|error| JobError::Risk(error.to_string()))?
        .result;
    Ok(Outcome {
        bundles: reports,
        diagnosis_keys: keys.len(),
        keys_refused,
        keys_checked,
        keys_matched,
        observations_matched,
        windows,
        result,
    })
}
