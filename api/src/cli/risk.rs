//! `warn risk v1|v2`: risk scores computed as a phone computes them, from
//! JSON files in the apps' shapes (docs/risk.md); `warn risk config`: a
//! signed configuration as the apps download it, verified and decoded.
//! They read no TOML configuration file (see `dispatch` in `mod.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use prost::Message as _;
use proto::appconfig as pb;
use serde::Serialize;
use shared::risk::v1::{self, ExposuresFile, V1Config};
use shared::risk::v2::{ExposureWindow, RiskCalculationParameters};

/// The risk subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RiskCommand {
    /// Version 1 (the reference architecture): prints the combined risk
    /// score, its class and every intermediate value.
    V1(V1Args),
    /// Version 2 (exposure windows): prints the result object, or with
    /// `--steps` every intermediate value as well.
    V2(V2Args),
    /// A signed configuration as the apps download it (`app_config`,
    /// `app_config_android`, `app_config_ios`): verifies its signature and
    /// prints what it says as JSON, which `risk v1 --parameters` and
    /// `risk v2 --parameters` read.
    Config(ConfigArgs),
}

/// Options of `warn risk config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// A trusted public key (SPKI PEM, as `warn key show` prints it); repeat for several.
    #[arg(
        long = "key",
        value_delimiter = ',',
        value_name = "PUBLIC.pem",
        required = true
    )]
    pub keys: Vec<PathBuf>,
    /// Which configuration [default: from the file name: `app_config` is
    /// v1, `app_config_android` android, `app_config_ios` ios].
    #[arg(long, value_enum)]
    pub kind: Option<ConfigKind>,
    /// The signed configuration (a zip with `export.bin` and `export.sig`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The three published configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigKind {
    /// `/version/v1/configuration/country/{country}/app_config`.
    V1,
    /// `/version/v2/app_config_android`.
    Android,
    /// `/version/v2/app_config_ios`.
    Ios,
}

/// Options of `warn risk v1`.
#[derive(Debug, clap::Args)]
pub struct V1Args {
    /// Version 1 risk parameters (`minRiskScore`, `riskScoreClasses`,
    /// `exposureConfig`, `attenuationDuration`), alone or in a whole
    /// application configuration [default: the production values].
    #[arg(long, value_name = "PARAMS.json")]
    pub parameters: Option<PathBuf>,
    /// `{"exposures": [{"daysSinceExposure", "transmissionRiskLevel", "attenuations": [{"attenuation", "minutes"}]}]}`.
    #[arg(long, value_name = "EXPOSURES.json")]
    pub exposures: PathBuf,
}

/// Options of `warn risk v2`.
#[derive(Debug, clap::Args)]
pub struct V2Args {
    /// Risk calculation parameters, alone or in a whole application
    /// configuration (its `riskCalculationParameters` is used) [default:
    /// the production values].
    #[arg(long, value_name = "PARAMS.json")]
    pub parameters: Option<PathBuf>,
    /// Exposure windows: a JSON array, or `{"exposureWindows": [...]}`.
    #[arg(long, value_name = "WINDOWS.json")]
    pub windows: PathBuf,
    /// Print every step (per window, per day) with the result.
    #[arg(long)]
    pub steps: bool,
}

/// Runs a risk subcommand.
pub fn run(command: RiskCommand) -> anyhow::Result<ExitCode> {
    match command {
        RiskCommand::Config(args) => print_json(&read_signed_config(&args)?),
        RiskCommand::V1(args) => {
            let calculation = risk_v1(args.parameters.as_deref(), &args.exposures)?;
            print_json(&calculation)
        }
        RiskCommand::V2(args) => {
            let parameters = read_parameters(args.parameters.as_deref())?;
            let windows = read_windows(&args.windows)?;
            let calculation = parameters
                .calculate(&windows)
                .with_context(|| args.windows.display().to_string())?;
            if args.steps {
                print_json(&calculation)
            } else {
                print_json(&calculation.result)
            }
        }
    }
}

/// `warn risk v1` output: the headline values first, then every step.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct V1Output {
    combined_risk_score: f64,
    risk_class: Option<String>,
    #[serde(flatten)]
    calculation: v1::Calculation,
}

fn risk_v1(parameters: Option<&Path>, exposures: &Path) -> anyhow::Result<V1Output> {
    let parameters: V1Config = match parameters {
        Some(path) => read_json(path)?,
        None => shared::risk::defaults::v1(),
    };
    let file: ExposuresFile = read_json(exposures)?;
    let calculation = parameters
        .calculate(&file.exposures)
        .with_context(|| exposures.display().to_string())?;
    Ok(V1Output {
        combined_risk_score: calculation.combined.combined_risk_score,
        risk_class: calculation.risk_class.clone(),
        calculation,
    })
}

impl ConfigKind {
    /// The configuration a file's name says it is, if it says.
    fn of_file_name(path: &Path) -> Option<Self> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if name.contains("app_config_android") {
            Some(Self::Android)
        } else if name.contains("app_config_ios") {
            Some(Self::Ios)
        } else if name.contains("app_config") {
            Some(Self::V1)
        } else {
            None
        }
    }
}

/// Verifies and decodes a signed configuration file: the kind from the
/// option or the file name, the signature against `--key`, then the
/// payload as JSON with its kind and signing key.
fn read_signed_config(args: &ConfigArgs) -> anyhow::Result<serde_json::Value> {
    let ring = super::args::read_key_ring(&args.keys)?;
    let kind = args
        .kind
        .or_else(|| ConfigKind::of_file_name(&args.file))
        .ok_or_else(|| {
            anyhow!(
                "{}: say which configuration it is with --kind v1|android|ios",
                args.file.display()
            )
        })?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let (payload, signed_by) = shared::bundle::verify_payload(&bytes, &ring)
        .map_err(|error| anyhow!("invalid: {}: {error}", args.file.display()))?;
    let mut value = match kind {
        ConfigKind::V1 => v1_config_json(&payload),
        ConfigKind::Android => android_config_json(&payload),
        ConfigKind::Ios => ios_config_json(&payload),
    }
    .with_context(|| format!("{}: export.bin", args.file.display()))?;
    value["kind"] = serde_json::to_value(kind)?;
    value["signedBy"] = serde_json::json!({
        "keyId": signed_by.key_id,
        "keyVersion": signed_by.key_version,
    });
    Ok(value)
}

/// The v1 `ApplicationConfiguration` as `warn risk v1 --parameters` reads
/// it, with its supported countries.
fn v1_config_json(payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let config = pb::ApplicationConfiguration::decode(payload)?;
    let mut value = serde_json::to_value(V1Config::try_from(&config)?)?;
    value["supportedCountries"] = serde_json::to_value(&config.supported_countries)?;
    Ok(value)
}

/// `ApplicationConfigurationAndroid`: versions, countries, the risk
/// calculation parameters (as `warn risk v2 --parameters` reads them) and
/// the diagnosis keys data mapping.
fn android_config_json(payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let config = pb::ApplicationConfigurationAndroid::decode(payload)?;
    let parameters = risk_parameters_of(&config.risk_calculation_parameters)?;
    Ok(serde_json::json!({
        "minVersionCode": config.min_version_code,
        "latestVersionCode": config.latest_version_code,
        "supportedCountries": config.supported_countries.clone(),
        "maxEncounterAgeInDays": parameters.max_encounter_age_in_days,
        "riskCalculationParameters": RiskCalculationParameters::try_from(parameters)?,
        "diagnosisKeysDataMapping": shared::risk::published::data_mapping_of(&config),
    }))
}

/// `ApplicationConfigurationIOS`: versions, countries, the risk calculation
/// parameters and the framework's exposure configuration.
fn ios_config_json(payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let config = pb::ApplicationConfigurationIos::decode(payload)?;
    let parameters = risk_parameters_of(&config.risk_calculation_parameters)?;
    let version = |version: &Option<pb::SemanticVersion>| {
        version
            .as_ref()
            .map(|v| format!("{}.{}.{}", v.major, v.minor, v.patch))
    };
    let exposure = config.exposure_configuration.clone().unwrap_or_default();
    Ok(serde_json::json!({
        "minVersion": version(&config.min_version),
        "latestVersion": version(&config.latest_version),
        "supportedCountries": config.supported_countries.clone(),
        "maxEncounterAgeInDays": parameters.max_encounter_age_in_days,
        "riskCalculationParameters": RiskCalculationParameters::try_from(parameters)?,
        "infectiousnessForDaysSinceOnsetOfSymptoms": exposure
            .infectiousness_for_days_since_onset_of_symptoms
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
        "reportTypeNoneMap": exposure.report_type_none_map,
    }))
}

/// The risk calculation parameters a version 2 configuration must carry.
fn risk_parameters_of(
    parameters: &Option<pb::RiskCalculationParameters>,
) -> anyhow::Result<&pb::RiskCalculationParameters> {
    parameters
        .as_ref()
        .ok_or_else(|| anyhow!("no riskCalculationParameters"))
}

/// Reads risk calculation parameters, alone or inside a whole
/// configuration; the production values without a file.
pub(crate) fn read_parameters(path: Option<&Path>) -> anyhow::Result<RiskCalculationParameters> {
    let Some(path) = path else {
        return Ok(shared::risk::defaults::v2());
    };
    let mut value: serde_json::Value = read_json(path)?;
    if let Some(inner) = value.get_mut("riskCalculationParameters") {
        value = inner.take();
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} holds no risk calculation parameters", path.display()))
}

fn read_windows(path: &Path) -> anyhow::Result<Vec<ExposureWindow>> {
    let mut value: serde_json::Value = read_json(path)?;
    if let Some(inner) = value.get_mut("exposureWindows") {
        value = inner.take();
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} holds no exposure windows", path.display()))
}

/// Reads and parses a JSON file, naming the file (and line) in any error.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| anyhow!("{}: {error}", path.display()))
}

/// Prints a value as pretty JSON.
pub(crate) fn print_json(value: &impl Serialize) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn parameters_alone_in_a_configuration_or_by_default() {
        let dir = tempfile::tempdir().unwrap();
        let defaults = shared::risk::defaults::v2();
        let alone = file(
            &dir,
            "alone.json",
            &serde_json::to_string(&defaults).unwrap(),
        );
        let whole = file(
            &dir,
            "whole.json",
            &serde_json::to_string(&shared::risk::ApplicationConfig::default()).unwrap(),
        );
        assert_eq!(read_parameters(Some(&alone)).unwrap(), defaults);
        assert_eq!(read_parameters(Some(&whole)).unwrap(), defaults);
        assert_eq!(read_parameters(None).unwrap(), defaults);
        let wrong = file(&dir, "wrong.json", r#"{"trlFilters": []}"#);
        let error = format!("{:#}", read_parameters(Some(&wrong)).unwrap_err());
        assert!(
            error.contains("wrong.json holds no risk calculation parameters"),
            "{error}"
        );
    }

    #[test]
    fn windows_as_an_array_or_an_object() {
        let dir = tempfile::tempdir().unwrap();
        let window =
            r#"{"ageInDays": 1, "reportType": 1, "infectiousness": 2, "scanInstances": []}"#;
        let array = file(&dir, "array.json", &format!("[{window}]"));
        let object = file(
            &dir,
            "object.json",
            &format!(r#"{{"exposureWindows": [{window}]}}"#),
        );
        assert_eq!(
            read_windows(&array).unwrap(),
            read_windows(&object).unwrap()
        );
        assert_eq!(read_windows(&array).unwrap().len(), 1);
        let broken = file(&dir, "broken.json", "[{");
        assert!(format!("{:#}", read_windows(&broken).unwrap_err()).contains("broken.json"));
    }

    #[test]
    fn v1_reports_the_headline_values_first() {
        let dir = tempfile::tempdir().unwrap();
        let exposures = file(
            &dir,
            "exposures.json",
            r#"{"exposures": [{"daysSinceExposure": 2, "transmissionRiskLevel": 6,
                "attenuations": [{"attenuation": 50, "minutes": 20}]}]}"#,
        );
        let output = risk_v1(None, &exposures).unwrap();
        assert_eq!(
            (output.combined_risk_score, output.risk_class.as_deref()),
            (24.0, Some("HIGH"))
        );
        let json = serde_json::to_value(&output).unwrap();
        assert_eq!(json["maximumRiskScore"], 60);
        let bad = file(
            &dir,
            "bad.json",
            r#"{"exposures": [{"daysSinceExposure": 2, "transmissionRiskLevel": 9, "attenuations": []}]}"#,
        );
        let error = format!("{:#}", risk_v1(None, &bad).unwrap_err());
        assert!(
            error.contains("transmission risk level must be 1 to 8, got 9"),
            "{error}"
        );
    }
}
