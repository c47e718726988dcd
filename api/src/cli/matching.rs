//! `warn match`: what a phone would find in signed key bundles, given its
//! observation log: the bundles verified, the keys matched, the exposure
//! windows and the version 2 risk result.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use serde::Serialize;
use shared::bundle::verify_export;
use shared::en::{MatchOptions, Matches, ObservationLog, match_keys};
use shared::keys::{DiagnosisKey, DistinctKeys};
use shared::risk::v2::{ExposureWindow, RiskResult};

use super::risk::{print_json, read_json, read_parameters};

/// Options of `warn match`.
#[derive(Debug, clap::Args)]
pub struct MatchArgs {
    /// A signed key bundle (zip); repeat for several.
    #[arg(long = "bundle", value_name = "FILE.zip", required = true)]
    pub bundles: Vec<PathBuf>,
    /// The phone's log: `{"calibrationConfidence": 0, "observations":
    /// [{"rpi": HEX, "aem": HEX, "time": UNIX_SECONDS, "attenuation": DB}]}`.
    #[arg(long, value_name = "OBS.json")]
    pub observations: PathBuf,
    /// A trusted public key (SPKI PEM); repeat for several. Every bundle
    /// must verify with one of them.
    #[arg(long = "key", value_name = "PUBLIC.pem", required = true)]
    pub keys: Vec<PathBuf>,
    /// Risk calculation parameters (version 2), alone or in a whole
    /// application configuration [default: the production values].
    #[arg(long, value_name = "PARAMS.json")]
    pub parameters: Option<PathBuf>,
    /// Today, for the age of each window: RFC 3339 or unix seconds
    /// [default: now].
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BundleSummary {
    file: String,
    region: String,
    keys: usize,
    revised_keys: usize,
    key_id: String,
    key_version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MatchOutput {
    bundles: Vec<BundleSummary>,
    diagnosis_keys: usize,
    matches: Matches,
    exposure_windows: Vec<ExposureWindow>,
    result: RiskResult,
}

/// Runs `warn match`.
pub fn run(args: MatchArgs) -> anyhow::Result<ExitCode> {
    print_json(&match_files(&args)?)
}

fn match_files(args: &MatchArgs) -> anyhow::Result<MatchOutput> {
    let ring = super::args::read_key_ring(&args.keys)?;
    let parameters = read_parameters(args.parameters.as_deref())?;
    let now = match &args.now {
        Some(text) => super::args::parse_time(text).context("--now")?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
    };

    let mut keys = DistinctKeys::default();
    let mut bundles = Vec::new();
    for path in &args.bundles {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let verified =
            verify_export(&bytes, &ring).map_err(|error| anyhow!("{}: {error}", path.display()))?;
        let export = &verified.export;
        // Revised keys come after the keys: a revision (say, to revoked)
        // replaces the key it revises.
        for (list, proto_keys) in [("key", &export.keys), ("revised key", &export.revised_keys)] {
            for (index, key) in proto_keys.iter().enumerate() {
                let key = DiagnosisKey::from_proto(key)
                    .map_err(|error| anyhow!("{}: {list} {index}: {error}", path.display()))?;
                keys.insert(key);
            }
        }
        bundles.push(BundleSummary {
            file: path.display().to_string(),
            region: export.region().to_owned(),
            keys: export.keys.len(),
            revised_keys: export.revised_keys.len(),
            key_id: verified.signed_by.key_id.clone(),
            key_version: verified.signed_by.key_version.clone(),
        });
    }

    let log: ObservationLog = read_json(&args.observations)?;
    let matches = match_keys(keys.as_slice(), &log, &MatchOptions::at(now))
        .map_err(|error| anyhow!("{}: {error}", args.observations.display()))?;
    let exposure_windows = matches.exposure_windows();
    let result = parameters.calculate(&exposure_windows)?.result;
    Ok(MatchOutput {
        bundles,
        diagnosis_keys: keys.len(),
        matches,
        exposure_windows,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::bundle::{ExportSpec, KeyIdentity, Signer, build_export};
    use shared::en::simulate::{self, Encounter};
    use shared::keys::ReportType;
    use shared::risk::RiskLevel;

    #[test]
    fn matches_a_signed_bundle_against_a_log() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::generate(KeyIdentity::new("262", "v1"));
        let day = 20_402u64;
        let key = |seed: u8| {
            DiagnosisKey::new(shared::keys::KeyFields {
                key_data: [seed; 16],
                transmission_risk_level: 6,
                rolling_start_interval_number: (day * 144) as i64,
                rolling_period: 144,
                report_type: ReportType::ConfirmedTest,
                days_since_onset_of_symptoms: Some(0),
            })
            .unwrap()
        };
        let spec = ExportSpec {
            region: "DE".into(),
            start_timestamp: day * 86_400,
            end_timestamp: day * 86_400 + 3600,
            batch_num: 1,
            batch_size: 1,
            keys: vec![key(1), key(2)],
        };
        let bundle = dir.path().join("bundle.zip");
        std::fs::write(&bundle, build_export(spec, &[&signer]).unwrap()).unwrap();
        let public = dir.path().join("public.pem");
        std::fs::write(&public, signer.public_key_pem()).unwrap();
        // 20 minutes at 55 dB near the owner of key 2.
        let encounter = Encounter {
            start: day * 86_400 + 36_000,
            duration: 1200,
            attenuation: 55,
        };
        let log = ObservationLog {
            calibration_confidence: 1,
            observations: simulate::encounter(&[2; 16], &[0x40, 0xf6, 0, 0], &encounter, 240),
        };
        let observations = dir.path().join("observations.json");
        std::fs::write(&observations, serde_json::to_string(&log).unwrap()).unwrap();

        let mut args = MatchArgs {
            bundles: vec![bundle.clone()],
            observations,
            keys: vec![public],
            parameters: None,
            now: Some((day * 86_400 + 2 * 86_400).to_string()),
        };
        let output = match_files(&args).unwrap();
        assert_eq!(output.diagnosis_keys, 2);
        assert_eq!(output.bundles[0].key_id, "262");
        assert_eq!(output.matches.keys_matched, 1);
        assert_eq!(output.exposure_windows.len(), 1);
        assert_eq!(output.exposure_windows[0].age_in_days, 2);
        assert_eq!(output.result.total_risk_level, RiskLevel::High);

        let stranger = Signer::generate(KeyIdentity::new("262", "v1"));
        std::fs::write(&args.keys[0], stranger.public_key_pem()).unwrap();
        let error = format!("{:#}", match_files(&args).unwrap_err());
        assert!(error.contains("bundle.zip"), "{error}");
        args.keys = vec![dir.path().join("missing.pem")];
        assert!(format!("{:#}", match_files(&args).unwrap_err()).contains("cannot read"));
    }
}
