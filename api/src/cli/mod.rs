//! The `warn` subcommands.
//!
//! Every option that touches stored data (`--data-dir`, `--database-url`)
//! is shared through [`StorageArgs`]; every option also reads from the
//! environment (`WARN_*`) and from the configuration file (`--config`).

mod bundle;
mod demo;
pub mod distribute;
pub mod federation;
mod gaen;
mod key;
mod keygen;
mod lab;
mod matching;
mod risk;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::{Countries, FileConfig, StorageConfig};

/// warn: a national exposure-notification back end (verification, test
/// results, key submission, signed key distribution) in one binary.
#[derive(Debug, Parser)]
#[command(name = "warn", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file (or the environment's WARN_CONFIG); options
    /// and environment variables override it. `warn risk`, `warn gaen` and
    /// `warn match` read none (their JSON inputs have options of their own).
    // Not `env = "WARN_CONFIG"`: `warn risk` and `warn match` refuse the
    // option but not the variable, so `dispatch` reads the variable.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the services and serve the portal.
    Serve(Box<serve::ServeArgs>),
    /// Create a P-256 signing key pair for bundles.
    Keygen(keygen::KeygenArgs),
    /// Manage laboratories and their API keys.
    #[command(subcommand)]
    Lab(lab::LabCommand),
    /// Sign, verify and inspect export bundles.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// Compute risk scores as a phone would.
    #[command(subcommand)]
    Risk(risk::RiskCommand),
    /// Exposure Notification cryptography: RPIs and AEMs of a TEK.
    #[command(subcommand)]
    Gaen(gaen::GaenCommand),
    /// Match signed key bundles against a phone's observation log.
    Match(matching::MatchArgs),
    /// Manage portal users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Publish signed hourly and daily key bundles once (as `serve` does hourly).
    Distribute(distribute::DistributeArgs),
    /// The distribution's signing keys: show, rotate, list.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Demo data: realistic submissions.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Federation: test certificates, one upload/download run.
    #[command(subcommand)]
    Federation(federation::FederationCommand),
}

/// Where stored data lives; shared by every subcommand that touches it.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Data folder: the SQLite database, signing keys, published bundles
    /// (default: ./data).
    #[arg(long, env = "WARN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://...) to use instead of the embedded SQLite database.
    #[arg(
        long,
        env = "WARN_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Key file of stored hashes: 64 hex digits, the same for every process on
    /// one database (default: DATA_DIR/secrets/hash.key, created on first start).
    #[arg(long, env = "WARN_HASH_KEY_FILE", value_name = "FILE")]
    pub hash_key_file: Option<PathBuf>,
}

/// This server's country and the countries it knows; shared by `serve`
/// and the commands that publish.
#[derive(Debug, Clone, clap::Args)]
pub struct CountryArgs {
    /// ISO 3166 alpha-2 code of this server's country (default: DE).
    #[arg(long, env = "WARN_COUNTRY", value_name = "CODE")]
    pub country: Option<String>,
    /// Countries a submission may name as visited, comma-separated
    /// (default: the 30 countries of the reference federation).
    #[arg(
        long,
        env = "WARN_SUPPORTED_COUNTRIES",
        value_name = "LIST",
        value_delimiter = ','
    )]
    pub supported_countries: Option<Vec<String>>,
}

impl CountryArgs {
    /// Resolves against the configuration file and defaults.
    pub fn resolve(&self, file: &FileConfig) -> anyhow::Result<Countries> {
        let home = self
            .country
            .clone()
            .or_else(|| file.country.clone())
            .unwrap_or_else(|| "DE".to_owned());
        let supported = self
            .supported_countries
            .clone()
            .or_else(|| file.supported_countries.clone());
        let countries = match supported {
            Some(list) => Countries::new(&home, list),
            None => Countries::new(&home, crate::config::DEFAULT_SUPPORTED_COUNTRIES),
        };
        countries.map_err(anyhow::Error::msg)
    }
}

impl StorageArgs {
    /// Resolves against the configuration file and defaults.
    pub fn resolve(&self, file: &FileConfig) -> StorageConfig {
        let mut storage =
            StorageConfig::resolve(self.data_dir.clone(), self.database_url.clone(), file);
        if let Some(key_file) = &self.hash_key_file {
            storage.hash_key_file = Some(key_file.clone());
        }
        storage
    }
}

/// Runs the command line; errors are printed as one line and exit non-zero.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    // `warn risk`, `warn gaen` and `warn match` compute from JSON files
    // named by their own options and read no TOML file. `--config` was
    // the name of `warn risk`'s and `warn match`'s risk parameters: refused
    // there, so that an old command line does not score with the
    // production values without a word.
    let file = match &cli.command {
        Command::Risk(_) | Command::Match(_) if cli.config.is_some() => {
            anyhow::bail!(
                "--config names the TOML configuration file, which warn risk and warn match \
                 do not read; give their risk parameters (JSON) with --parameters"
            )
        }
        Command::Risk(_) | Command::Gaen(_) | Command::Match(_) => FileConfig::default(),
        _ => {
            let path = cli
                .config
                .clone()
                .or_else(|| std::env::var_os("WARN_CONFIG").map(PathBuf::from));
            FileConfig::load(path.as_deref())?
        }
    };
    match cli.command {
        Command::Serve(args) => serve::run(*args, &file),
        Command::Keygen(args) => keygen::run(args, &file),
        Command::Bundle(command) => bundle::run(command, &file),
        Command::Lab(command) => lab::run(command, &file),
        Command::Risk(command) => risk::run(command),
        Command::Gaen(command) => gaen::run(command),
        Command::Match(args) => matching::run(args),
        Command::User(command) => user::run(command, &file),
        Command::Distribute(args) => distribute::run(args, &file),
        Command::Key(command) => key::run(command, &file),
        Command::Demo(command) => demo::run(command, &file),
        Command::Federation(command) => federation::run(command, &file),
    }
}

/// The trusted public keys named by `--key` options (SPKI PEM files; one
/// with `Key-Id:`/`Key-Version:` lines verifies only signatures naming them).
fn read_key_ring(paths: &[PathBuf]) -> anyhow::Result<shared::bundle::KeyRing> {
    let mut ring = shared::bundle::KeyRing::new();
    for path in paths {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        ring.add_pem(&pem)
            .with_context(|| path.display().to_string())?;
    }
    Ok(ring)
}

/// Unix seconds of a time given on the command line: RFC 3339
/// (`2026-11-20T13:00:00Z`) or a plain number of seconds, not before 1970.
fn parse_time(text: &str) -> anyhow::Result<u64> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let time = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            anyhow::anyhow!(
                "{text:?} is neither an RFC 3339 time (2026-11-20T13:05:00Z) nor unix seconds"
            )
        })?;
    u64::try_from(time.unix_timestamp()).map_err(|_| anyhow::anyhow!("{text:?} is before 1970"))
}

/// The time a run takes as now (`--now` of `distribute`, `demo seed` and
/// `federation sync`): [`parse_time`] of the option, else the clock.
fn time_or_now(option: Option<&str>) -> anyhow::Result<i64> {
    match option {
        Some(text) => {
            let seconds = parse_time(text).context("--now")?;
            i64::try_from(seconds).map_err(|_| anyhow::anyhow!("--now: {text:?} is too late"))
        }
        None => Ok(crate::clock::now()),
    }
}

#[cfg(test)]
mod time_tests {
    use super::{parse_time, time_or_now};

    #[test]
    fn times_parse_as_rfc3339_or_unix_seconds() {
        assert_eq!(parse_time("1764288000").unwrap(), 1_764_288_000);
        assert_eq!(parse_time("2025-11-28T00:00:00Z").unwrap(), 1_764_288_000);
        assert_eq!(parse_time("2020-06-17T10:00:30Z").unwrap(), 1_592_388_030);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());
        assert_eq!(
            time_or_now(Some("2025-11-28T00:00:00Z")).unwrap(),
            1_764_288_000
        );
        assert!(time_or_now(None).unwrap() > 1_764_288_000);
    }
}
