//! `warn distribute`: one distribution run, as `warn serve` runs every hour.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::args::{CountryArgs, StorageArgs};
use crate::config::DistributionSettings;
use crate::config::FileConfig;
use crate::db::Db;
use crate::distribution::Distribution;

/// Options of the distribution, shared by `warn serve` and `warn distribute`.
#[derive(Debug, Clone, clap::Args)]
pub struct DistributionArgs {
    /// Object store to publish to: file:///DIR, or s3://BUCKET/PREFIX (with
    /// the s3 feature; AWS_* variables configure it). Default: DATA_DIR/public.
    #[arg(long, env = "WARN_PUBLISH_URL", value_name = "URL")]
    pub publish_url: Option<String>,
    /// Fewest keys an hourly bundle may hold; fewer are carried forward (default 140).
    #[arg(long, env = "WARN_MIN_KEYS", value_name = "N")]
    pub min_keys: Option<usize>,
    /// TOML (or .json) file whose values replace those of the default
    /// application configuration (api/src/distribution/app-config.toml).
    #[arg(long, env = "WARN_APP_CONFIG", value_name = "FILE")]
    pub app_config: Option<PathBuf>,
}

impl DistributionArgs {
    /// Resolves against the configuration file.
    pub fn resolve(&self, file: &FileConfig) -> DistributionSettings {
        DistributionSettings {
            publish_url: self
                .publish_url
                .clone()
                .or_else(|| file.publish_url.clone()),
            min_keys: self.min_keys.or(file.min_keys),
            key_id: file.key_id.clone(),
            signing_key: file.signing_key.clone(),
            app_config: self.app_config.clone().or_else(|| file.app_config.clone()),
        }
    }
}

/// Options of `warn distribute`.
#[derive(Debug, clap::Args)]
pub struct DistributeArgs {
    /// The time the run takes as now: RFC 3339 (2026-11-20T13:05:00Z) or unix
    /// seconds [default: now].
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// How the distribution publishes: object store, threshold, signing key, app configuration.
    #[command(flatten)]
    pub distribution: DistributionArgs,
    /// Where stored data is (`--data-dir`, `--database-url`, the hash key file).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// This server's country and the countries it supports.
    #[command(flatten)]
    pub countries: CountryArgs,
}

/// Runs one assembly and prints a summary line.
pub fn run(args: DistributeArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    crate::telemetry::init();
    let now = super::args::time_or_now(args.now.as_deref())?;
    let storage = args.storage.resolve(file);
    let countries = args.countries.resolve(file)?;
    let settings = args.distribution.resolve(file);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let started = std::time::Instant::now();
        let db = Db::open(&storage).await?;
        db.migrate().await?;
        let distribution = Distribution::open(db.clone(), &storage.data_dir, &countries, settings)
            .await
            .context("cannot open the distribution")?;
        let progress = Bar(progress_bar());
        let report = distribution.run(now, &progress).await;
        db.close().await;
        let report = report.context("distribution failed")?;
        println!(
            "distributed in {:.2} s: {report}",
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// A bar on an interactive terminal; hidden otherwise (the summary line says it all).
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {wide_bar} {pos}/{len} bundles {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// The bar as a run's progress.
struct Bar(ProgressBar);

impl crate::distribution::run::Progress for Bar {
    fn start(&self, bundles: u64) {
        self.0.set_length(bundles);
    }
    fn advance(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
