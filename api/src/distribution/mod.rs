//! The distribution (SPEC section 5): every hour, the keys past their
//! embargo become signed hourly and daily bundles per country, with JSON
//! indexes, in an object store that a CDN (or `warn serve`) serves.
//!
//! - [`plan`]: the assembly as a pure function (keys in, plan out).
//! - [`app_config`]: the published application configurations (v1, and
//!   the Android and iOS ones the released apps read) from one operator file.
//! - [`store`]: reading the keys, deleting old ones, recording runs.
//! - [`signing`]: the signing keys in the data folder, and their rotation.
//! - [`publish`]: the object store and the public paths.
//! - [`run`]: one run: plan, sign, publish bundles, then indexes.
//! - [`serve`]: `GET /version/v1/...` from memory, with ETags.
//! - [`seed`]: realistic demo submissions (`warn demo seed`).

pub mod app_config;
pub mod plan;
pub mod publish;
pub mod run;
pub mod seed;
pub mod serve;
pub mod signing;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;

use crate::config::{Countries, CountryCode, DistributionSettings};
use crate::db::Db;
use publish::Publisher;
use run::{Progress, Quiet, RunError, RunOptions, RunReport};
use serve::PublishedFiles;
use signing::SigningKeys;

/// The reference threshold: an hour with fewer keys carries them forward.
pub const DEFAULT_MIN_KEYS: usize = 140;
/// The folder below the data folder that the local object store uses.
pub const PUBLIC_DIR: &str = "public";

/// Everything a run needs, opened once.
#[derive(Debug, Clone)]
pub struct Distribution {
    db: Db,
    data_dir: PathBuf,
    settings: DistributionSettings,
    home: CountryCode,
    supported: Vec<String>,
    publisher: Publisher,
    minimum_trl: u8,
    configurations: Vec<(String, Bytes)>,
    files: PublishedFiles,
    /// The latest finished run whose files are loaded (0: none yet).
    loaded_run: std::sync::Arc<tokio::sync::Mutex<i64>>,
}

impl Distribution {
    /// Opens the object store, reads the configuration and makes sure a
    /// signing key exists (creating one, and saying so, on first start).
    pub async fn open(
        db: Db,
        data_dir: &Path,
        countries: &Countries,
        settings: DistributionSettings,
    ) -> Result<Self, RunError> {
        let publisher = match &settings.publish_url {
            Some(url) => Publisher::from_url(url)?,
            None => Publisher::local(&data_dir.join(PUBLIC_DIR))?,
        };
        let supported: Vec<String> = countries.supported().map(str::to_owned).collect();
        let config = app_config::load(settings.app_config.as_deref())?;
        let configurations = app_config::encode(&config, countries.home(), &supported)?;
        let distribution = Self {
            db,
            data_dir: data_dir.to_owned(),
            settings,
            home: countries.home(),
            supported,
            publisher,
            minimum_trl: config.minimum_trl_value_allowed,
            configurations,
            files: PublishedFiles::default(),
            loaded_run: std::sync::Arc::default(),
        };
        distribution.signing_keys()?;
        Ok(distribution)
    }

    /// The signing keys; creates the first one when there is none.
    pub fn signing_keys(&self) -> Result<SigningKeys, RunError> {
        if let Some(path) = &self.settings.signing_key {
            let identity = shared::bundle::KeyIdentity::new(self.key_id(), "v1");
            return Ok(SigningKeys::from_file(path, identity)?);
        }
        let (keys, created) = SigningKeys::load_or_create(&self.data_dir, &self.key_id())?;
        if let Some(path) = created {
            tracing::info!(
                key = %keys.active().identity(),
                path = %path.display(),
                "created signing key {} at {}",
                keys.active().identity(),
                path.display()
            );
        }
        Ok(keys)
    }

    fn key_id(&self) -> String {
        self.settings
            .key_id
            .clone()
            .unwrap_or_else(|| self.home.to_string())
    }

    /// The published files as `warn serve` holds them.
    pub fn files(&self) -> &PublishedFiles {
        &self.files
    }

    /// Runs one assembly as of `now` (unix seconds).
    pub async fn run(&self, now: i64, progress: &dyn Progress) -> Result<RunReport, RunError> {
        let (_lock, swept) = self.publisher.lock_for_run().await?;
        if swept > 0 {
            tracing::info!(files = swept, "deleted temporary files of interrupted runs");
        }
        // A store without a lock of its own (S3): the database orders the
        // runs of every process that publishes there.
        let _db_lock = if self.publisher.is_local() {
            None
        } else {
            Some(store::lock_runs(&self.db, &self.data_dir).await?)
        };
        let keys = self.signing_keys()?;
        let options = RunOptions {
            now,
            min_keys: self.settings.min_keys.unwrap_or(DEFAULT_MIN_KEYS),
            home: self.home,
            supported: self.supported.clone(),
            minimum_trl: self.minimum_trl,
            configurations: self.configurations.clone(),
        };
        run::run_once(&self.db, &self.publisher, &keys, &options, progress).await
    }

    /// Runs one assembly as of `now` without a progress bar, then reloads
    /// the files served from memory (what each hourly run does).
    pub async fn run_and_reload(&self, now: i64) -> Result<RunReport, RunError> {
        let report = self.run(now, &Quiet).await?;
        self.reload().await?;
        Ok(report)
    }

    /// Reloads the files served from memory.
    pub async fn reload(&self) -> Result<usize, RunError> {
        let mut loaded = self.loaded_run.lock().await;
        // Read the run before the files: a run finishing during the reload
        // is then seen as new at the next look.
        let latest = store::latest_finished_run(&self.db).await?;
        let count = self.files.reload(&self.publisher).await?;
        *loaded = latest;
        Ok(count)
    }

    /// Reloads the served files when a run finished (in any process) since
    /// they were loaded; answers the number of files then loaded.
    pub async fn reload_if_changed(&self) -> Result<Option<usize>, RunError> {
        let mut loaded = self.loaded_run.lock().await;
        let latest = store::latest_finished_run(&self.db).await?;
        if latest == *loaded {
            return Ok(None);
        }
        let count = self.files.reload(&self.publisher).await?;
        *loaded = latest;
        Ok(Some(count))
    }

    /// Runs now and then every `period`, reloading the served files after
    /// each run, until the task is aborted.
    pub async fn run_every(self, period: Duration) {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match self.run(crate::clock::now(), &Quiet).await {
                Ok(report) => tracing::info!("distribution: {report}"),
                Err(error) => {
                    tracing::warn!(%error, "distribution failed; retrying at the next run")
                }
            }
            if let Err(error) = self.reload_if_changed().await {
                tracing::warn!(%error, "reloading the published files failed");
            }
        }
    }

    /// Every `period`, reloads the served files when another process
    /// finished a run, until the task is aborted.
    pub async fn watch_every(self, period: Duration) {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            interval.tick().await;
            match self.reload_if_changed().await {
                Ok(Some(count)) => tracing::info!(files = count, "published files reloaded"),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "looking for new published files failed"),
            }
        }
    }
}
