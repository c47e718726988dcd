//! `warn key show|rotate`: the distribution's signing keys.

use std::process::ExitCode;

use anyhow::Context;

use super::args::StorageArgs;
use crate::config::FileConfig;
use crate::distribution::signing::SigningKeys;

/// The key subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Print the public key that signs bundles (SPKI PEM after Key-Id and
    /// Key-Version lines): what phones and the browser verifier are given.
    Show(ShowArgs),
    /// Create a new signing key (one version up) that signs from now on;
    /// the previous keys stay listed.
    Rotate(RotateArgs),
    /// List every key: id, version, and which one signs.
    List(ListArgs),
}

/// Options of `warn key show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Print every key, oldest first, not only the active one.
    #[arg(long)]
    pub all: bool,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `warn key rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    /// Key id of the new key (default: the configuration file's key-id, or
    /// the active key's id, or DE).
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Options of `warn key list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Runs a key subcommand.
pub fn run(command: KeyCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Show(args) => {
            let keys = SigningKeys::load(&args.storage.resolve(file).data_dir)?;
            let shown: &[_] = if args.all {
                keys.all()
            } else {
                std::slice::from_ref(keys.active())
            };
            for key in shown {
                print!("{}", key.public_key_pem());
            }
        }
        KeyCommand::List(args) => {
            let keys = SigningKeys::load(&args.storage.resolve(file).data_dir)?;
            for key in keys.published() {
                let role = if key.active { "active" } else { "retired" };
                println!("{} {} {role}", key.key_id, key.key_version);
            }
        }
        KeyCommand::Rotate(args) => {
            let data_dir = args.storage.resolve(file).data_dir;
            let key_id = args
                .key_id
                .or_else(|| file.key_id.clone())
                .or_else(|| {
                    SigningKeys::load(&data_dir)
                        .ok()
                        .map(|keys| keys.active().identity().key_id.clone())
                })
                .or_else(|| file.country.clone())
                .unwrap_or_else(|| "DE".to_owned());
            let path = SigningKeys::rotate(&data_dir, &key_id).context("cannot create the key")?;
            let keys = SigningKeys::load(&data_dir)?;
            println!(
                "key {} now signs new bundles ({}); run warn distribute to re-sign the published ones",
                keys.active().identity(),
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
