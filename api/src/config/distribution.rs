//! How the distribution publishes and how often it runs.

use std::path::PathBuf;
use std::time::Duration;

/// How often `warn serve` runs the distribution.
pub const DISTRIBUTION_INTERVAL: Duration = Duration::from_secs(3600);
/// How often `warn serve` looks for runs finished by another process (a
/// `warn distribute` from cron, another replica): one indexed query.
pub const DISTRIBUTION_WATCH_INTERVAL: Duration = Duration::from_secs(10);

/// Options of the distribution, shared by `warn serve` and `warn distribute`.
#[derive(Debug, Clone, Default)]
pub struct DistributionSettings {
    /// Object store URL (`file:///...`, `s3://bucket/prefix`); default the
    /// folder `DATA_DIR/public`.
    pub publish_url: Option<String>,
    /// Threshold of keys per hourly bundle (default 140).
    pub min_keys: Option<usize>,
    /// Key id of a newly created signing key (default: the home country code).
    pub key_id: Option<String>,
    /// A configured signing key file (PKCS#8 PEM with Key-Id/Key-Version
    /// lines); without it the keys of `DATA_DIR/signing` are used.
    pub signing_key: Option<PathBuf>,
    /// TOML (or JSON) file whose values replace those of the default
    /// application configuration (`app-config.toml`).
    pub app_config: Option<PathBuf>,
}
