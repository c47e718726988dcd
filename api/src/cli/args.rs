//! What several subcommands share: the storage and country options, the
//! times given on the command line, the trusted key files.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::config::{Countries, FileConfig, StorageConfig};

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

/// The trusted public keys named by `--key` options (SPKI PEM files; one
/// with `Key-Id:`/`Key-Version:` lines verifies only signatures naming them).
pub(super) fn read_key_ring(paths: &[PathBuf]) -> anyhow::Result<shared::bundle::KeyRing> {
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
pub(super) fn parse_time(text: &str) -> anyhow::Result<u64> {
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
pub(super) fn time_or_now(option: Option<&str>) -> anyhow::Result<i64> {
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
