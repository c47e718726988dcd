//! `warn demo seed`: realistic submissions for demos and benchmarks.

use std::process::ExitCode;

use anyhow::Context;

use super::args::{CountryArgs, StorageArgs};
use crate::config::FileConfig;
use crate::db::Db;
use crate::distribution::seed::{self, SeedOptions};

/// Keys per insert transaction.
const BATCH: usize = 50_000;

/// The demo subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DemoCommand {
    /// Fill the database with submissions: each case 14 daily keys, confirmed
    /// test, risk levels by days since onset, spread over the last days.
    Seed(SeedArgs),
}

/// Options of `warn demo seed`.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Number of cases (submissions of 14 keys each).
    #[arg(long, value_name = "N")]
    pub cases: usize,
    /// Spread the submissions over this many days before now.
    #[arg(long, value_name = "D", default_value_t = 14)]
    pub days: i64,
    /// The time taken as now (RFC 3339 or unix seconds; default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Seed of the random generator, for repeatable data (default: random).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// This server's country and the countries it supports.
    #[command(flatten)]
    pub countries: CountryArgs,
}

/// Runs a demo subcommand.
pub fn run(command: DemoCommand, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let DemoCommand::Seed(args) = command;
    if args.days < 1 {
        anyhow::bail!("--days must be at least 1");
    }
    let now = super::args::time_or_now(args.now.as_deref())?;
    let storage = args.storage.resolve(file);
    let countries = args.countries.resolve(file)?;
    let options = SeedOptions {
        cases: args.cases,
        days: args.days,
        now,
        country: countries.home().to_string(),
    };
    let mut rng = args
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let keys = seed::generate(&options, &mut rng);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let started = std::time::Instant::now();
        let db = Db::open(&storage).await?;
        db.migrate().await?;
        let mut inserted = 0;
        for batch in keys.chunks(BATCH) {
            inserted += crate::submission::store::insert_keys(&db, batch)
                .await
                .context("cannot store the keys")?;
        }
        db.close().await;
        println!(
            "seeded {} cases, {inserted} keys, in {:.1} s",
            args.cases,
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    })
}
