//! `warn lab add`: API keys for laboratories.

use std::process::ExitCode;

use anyhow::Context;

use super::args::StorageArgs;
use crate::config::FileConfig;
use crate::db::Db;
use crate::testresult::labs;

/// The lab subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Add a lab and print its API key, once, alone on the last line.
    Add(AddArgs),
}

/// Options of `warn lab add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The lab's name (unique).
    pub name: String,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Runs a lab subcommand.
pub fn run(command: LabCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let LabCommand::Add(args) = command;
    let storage = args.storage.resolve(file);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let db = Db::open(&storage).await?;
        db.migrate().await?;
        let key = labs::add(&db, &args.name, crate::clock::now()).await;
        db.close().await;
        let key = key?;
        println!(
            "lab {:?} added; its API key is shown only now.",
            args.name.trim()
        );
        println!("Labs send it as: Authorization: Bearer <key>");
        println!("{key}");
        Ok(ExitCode::SUCCESS)
    })
}
