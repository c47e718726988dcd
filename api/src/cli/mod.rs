//! The `warn` subcommands.
//!
//! Every option that touches stored data (`--data-dir`, `--database-url`)
//! is shared through [`StorageArgs`]; every option also reads from the
//! environment (`WARN_*`) and from the configuration file (`--config`).

mod args;
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

use clap::{Parser, Subcommand};

use crate::config::FileConfig;

pub use args::{CountryArgs, StorageArgs};

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
