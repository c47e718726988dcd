//! `warn bundle sign|verify|inspect`: export bundles from the command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use crate::config::FileConfig;
use serde::Serialize;
use shared::bundle::signing::pem_identity;
use shared::bundle::{
    ExportSpec, ExportSummary, KeyIdentity, Signer, build_export, inspect_export, verify_export,
};
use shared::keys::{DiagnosisKey, KeysFile};

/// The bundle subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum BundleCommand {
    /// Build and sign a bundle from a JSON key file.
    Sign(SignArgs),
    /// Verify a bundle's signature; exit 0 only when it verifies.
    Verify(VerifyArgs),
    /// Print a bundle's header and keys (signatures not checked).
    Inspect(InspectArgs),
}

/// Options of `warn bundle sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Private key (PKCS#8 PEM, as `warn keygen` writes it).
    #[arg(long, env = "WARN_SIGNING_KEY", value_name = "PRIVATE.pem")]
    pub key: Option<PathBuf>,
    /// Key id to name in the signature (default: the key file's `Key-Id:` line).
    #[arg(long, env = "WARN_KEY_ID", value_name = "ID")]
    pub key_id: Option<String>,
    /// Key version to name in the signature (default: the key file's `Key-Version:` line).
    #[arg(long, env = "WARN_KEY_VERSION", value_name = "VERSION")]
    pub key_version: Option<String>,
    /// Region (ISO 3166 alpha-2, or EUR).
    #[arg(long, env = "WARN_REGION")]
    pub region: Option<String>,
    /// Start of the time window: RFC 3339 or unix seconds.
    #[arg(long, value_name = "TIME")]
    pub start: String,
    /// End of the time window: RFC 3339 or unix seconds.
    #[arg(long, value_name = "TIME")]
    pub end: String,
    /// Batch number of this file (1-based).
    #[arg(long, default_value_t = 1)]
    pub batch_num: u32,
    /// Number of files in the batch.
    #[arg(long, default_value_t = 1)]
    pub batch_size: u32,
    /// Keys: `{"temporaryExposureKeys": [{"key", "rollingStartNumber", "rollingPeriod", "transmissionRisk"}]}`.
    #[arg(value_name = "KEYS.json")]
    pub keys: PathBuf,
    /// Where to write the bundle.
    #[arg(long, value_name = "FILE.zip")]
    pub out: PathBuf,
}

/// Options of `warn bundle verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A trusted public key (SPKI PEM); repeat for several. A key file with
    /// `Key-Id:`/`Key-Version:` lines is used only for signatures naming that
    /// id and version, one without them for any signature.
    #[arg(
        long = "key",
        env = "WARN_VERIFY_KEYS",
        value_delimiter = ',',
        value_name = "PUBLIC.pem"
    )]
    pub keys: Vec<PathBuf>,
    /// The bundle.
    #[arg(value_name = "FILE.zip")]
    pub bundle: PathBuf,
    /// Print JSON instead of a line of text: the bundle in numbers (as the
    /// browser verifier counts them) and the key that verified it.
    #[arg(long)]
    pub json: bool,
}

/// Options of `warn bundle inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The bundle.
    #[arg(value_name = "FILE.zip")]
    pub bundle: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a bundle subcommand.
pub fn run(command: BundleCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    match command {
        BundleCommand::Sign(args) => sign(args, file),
        BundleCommand::Verify(mut args) => {
            if args.keys.is_empty() {
                args.keys = file.verify_keys.clone().unwrap_or_default();
            }
            if args.keys.is_empty() {
                bail!("name at least one trusted public key with --key");
            }
            verify(args)
        }
        BundleCommand::Inspect(args) => inspect(args),
    }
}

fn sign(args: SignArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let key_path = args
        .key
        .or_else(|| file.signing_key.clone())
        .ok_or_else(|| anyhow!("name the private key with --key"))?;
    let region = args
        .region
        .or_else(|| file.region.clone())
        .ok_or_else(|| anyhow!("name the region with --region"))?;
    let pem = read_text(&key_path)?;
    let from_file = pem_identity(&pem);
    let key_id = args
        .key_id
        .or_else(|| file.key_id.clone())
        .or_else(|| from_file.as_ref().map(|identity| identity.key_id.clone()))
        .ok_or_else(|| anyhow!("the key file names no key id: pass --key-id"))?;
    let key_version = args
        .key_version
        .or_else(|| file.key_version.clone())
        .or_else(|| from_file.map(|identity| identity.key_version))
        .ok_or_else(|| anyhow!("the key file names no key version: pass --key-version"))?;
    let signer = Signer::from_pkcs8_pem(&pem, KeyIdentity::new(key_id, key_version))
        .with_context(|| format!("{}", key_path.display()))?;
    let keys = read_keys(&args.keys)?;
    let spec = ExportSpec {
        region,
        start_timestamp: super::args::parse_time(&args.start).context("--start")?,
        end_timestamp: super::args::parse_time(&args.end).context("--end")?,
        batch_num: args.batch_num,
        batch_size: args.batch_size,
        keys,
    };
    let count = spec.keys.len();
    let bundle = build_export(spec, &[&signer])?;
    std::fs::write(&args.out, &bundle)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "signed {count} keys into {} ({} bytes, key {})",
        args.out.display(),
        bundle.len(),
        signer.identity()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_keys(path: &Path) -> anyhow::Result<Vec<DiagnosisKey>> {
    let text = read_text(path)?;
    let file: KeysFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    file.into_keys()
        .map_err(|(index, error)| anyhow!("{}: key {index}: {error}", path.display()))
}

/// `warn bundle verify --json`: what the bundle holds (the browser
/// verifier's numbers) and the key that verified it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyOutput {
    #[serde(flatten)]
    contents: ExportSummary,
    signature: SignatureOutput,
}

/// A signature's key and algorithm, as `export.sig` (verify) or
/// `export.bin`'s signature infos (inspect) name them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignatureOutput {
    key_id: String,
    key_version: String,
    algorithm: String,
}

fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let ring = super::args::read_key_ring(&args.keys)?;
    let bytes = read_bytes(&args.bundle)?;
    let verified = match verify_export(&bytes, &ring) {
        Ok(verified) => verified,
        Err(error) => {
            eprintln!("invalid: {}: {error}", args.bundle.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let output = VerifyOutput {
        contents: ExportSummary::of(&verified.export),
        signature: SignatureOutput {
            key_id: verified.signed_by.key_id.clone(),
            key_version: verified.signed_by.key_version.clone(),
            algorithm: shared::bundle::SIGNATURE_ALGORITHM.to_owned(),
        },
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        println!(
            "valid: {} keys, region {}, {} to {}, batch {}/{}, signed by key {} version {}",
            output.contents.keys,
            output.contents.region,
            output.contents.start_timestamp,
            output.contents.end_timestamp,
            output.contents.batch_num,
            output.contents.batch_size,
            output.signature.key_id,
            output.signature.key_version
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InspectOutput {
    region: String,
    start_timestamp: u64,
    end_timestamp: u64,
    batch_num: i32,
    batch_size: i32,
    signature_infos: Vec<SignatureOutput>,
    signatures: usize,
    keys: Vec<KeyOutput>,
    revised_keys: Vec<KeyOutput>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyOutput {
    key_data: String,
    transmission_risk_level: i32,
    rolling_start_interval_number: i32,
    rolling_period: i32,
    report_type: i32,
    days_since_onset_of_symptoms: Option<i32>,
}

impl From<&proto::exposurenotification::TemporaryExposureKey> for KeyOutput {
    fn from(key: &proto::exposurenotification::TemporaryExposureKey) -> Self {
        Self {
            key_data: hex::encode(key.key_data()),
            transmission_risk_level: key.transmission_risk_level(),
            rolling_start_interval_number: key.rolling_start_interval_number(),
            rolling_period: key.rolling_period(),
            report_type: key.report_type.unwrap_or(0),
            days_since_onset_of_symptoms: key.days_since_onset_of_symptoms,
        }
    }
}

fn inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_bytes(&args.bundle)?;
    let contents =
        inspect_export(&bytes).map_err(|error| anyhow!("{}: {error}", args.bundle.display()))?;
    let export = &contents.export;
    let output = InspectOutput {
        region: export.region().to_owned(),
        start_timestamp: export.start_timestamp(),
        end_timestamp: export.end_timestamp(),
        batch_num: export.batch_num(),
        batch_size: export.batch_size(),
        signature_infos: export
            .signature_infos
            .iter()
            .map(|info| SignatureOutput {
                key_id: info.verification_key_id().to_owned(),
                key_version: info.verification_key_version().to_owned(),
                algorithm: info.signature_algorithm().to_owned(),
            })
            .collect(),
        signatures: contents.signatures.signatures.len(),
        keys: export.keys.iter().map(KeyOutput::from).collect(),
        revised_keys: export.revised_keys.iter().map(KeyOutput::from).collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "region {}, {} to {}, batch {}/{}, {} signature(s), {} keys, {} revised",
        output.region,
        output.start_timestamp,
        output.end_timestamp,
        output.batch_num,
        output.batch_size,
        output.signatures,
        output.keys.len(),
        output.revised_keys.len()
    );
    for key in &output.keys {
        println!(
            "{}  trl {}  start {}  period {}  report {}  onset {}",
            key.key_data,
            key.transmission_risk_level,
            key.rolling_start_interval_number,
            key.rolling_period,
            key.report_type,
            key.days_since_onset_of_symptoms
                .map_or("-".to_owned(), |days| days.to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn read_bytes(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
