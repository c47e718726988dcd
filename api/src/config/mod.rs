//! Configuration shared by every subcommand that touches stored data.
//!
//! Precedence, highest first: command-line option, environment variable
//! (`WARN_*`, read by clap), the TOML configuration file (`--config`), the
//! built-in default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

mod countries;
mod distribution;
mod federation;
mod portal;
mod service_token;

pub use countries::{Countries, CountryCode, DEFAULT_SUPPORTED_COUNTRIES};
pub use distribution::{DISTRIBUTION_INTERVAL, DISTRIBUTION_WATCH_INTERVAL, DistributionSettings};
pub use federation::FederationSettings;
pub use portal::{PortalConfig, default_hashing_concurrency};
pub use service_token::ServiceToken;

/// How often the clean-up of expired data runs.
pub const CLEANUP_INTERVAL: Duration = Duration::from_secs(3600);

/// The default address `warn serve` listens on.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default data folder, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "data";

/// Options of the configuration file. Every key is optional; an unknown key
/// is an error, so a typo does not go unnoticed.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileConfig {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// Data folder (SQLite database, signing keys, published bundles).
    pub data_dir: Option<PathBuf>,
    /// `postgres://...` to use PostgreSQL instead of the embedded SQLite database.
    pub database_url: Option<String>,
    /// Key file of stored hashes (default: DATA_DIR/secrets/hash.key, created).
    pub hash_key_file: Option<PathBuf>,
    /// Folder with the built portal (trunk's `dist`).
    pub portal_dir: Option<PathBuf>,
    /// Services this process runs (default: all).
    pub services: Option<Services>,
    /// Address of the internal listener (calls between services).
    pub internal_listen: Option<SocketAddr>,
    /// Token every internal call carries.
    pub service_token: Option<String>,
    /// Internal listener of the test result service, when it runs elsewhere.
    pub testresult_url: Option<String>,
    /// Internal listener of the verification service, when it runs elsewhere.
    pub verification_url: Option<String>,
    /// Private key that `warn bundle sign` signs with.
    pub signing_key: Option<PathBuf>,
    /// Key id that `warn keygen` and `warn bundle sign` name.
    pub key_id: Option<String>,
    /// Key version that `warn keygen` and `warn bundle sign` name.
    pub key_version: Option<String>,
    /// Region that `warn bundle sign` writes.
    pub region: Option<String>,
    /// Public keys that `warn bundle verify` trusts.
    pub verify_keys: Option<Vec<PathBuf>>,
    /// ISO 3166 alpha-2 code of this server's country (default DE).
    pub country: Option<String>,
    /// Countries that submissions may name as visited (default: the EU/EEA
    /// countries of the reference federation).
    pub supported_countries: Option<Vec<String>>,
    /// Object store the distribution publishes to (default: DATA_DIR/public).
    pub publish_url: Option<String>,
    /// Fewest keys per hourly bundle (default 140).
    pub min_keys: Option<usize>,
    /// TOML (or .json) file whose values replace the default application configuration.
    pub app_config: Option<PathBuf>,
    /// Base URL of the federation gateway (`https://HOST:PORT`).
    pub federation_gateway: Option<String>,
    /// This server's federation certificate (PEM), or the gateway's own.
    pub federation_cert: Option<PathBuf>,
    /// The private key of `federation-cert` (PKCS#8 PEM).
    pub federation_key: Option<PathBuf>,
    /// The federation's CA certificate (PEM).
    pub federation_ca: Option<PathBuf>,
    /// Fewest keys per upload (default 140).
    pub federation_min_batch: Option<usize>,
    /// URL the gateway calls when another country's batch arrives.
    pub federation_callback: Option<String>,
    /// The gateway accepts callback URLs on private addresses and `http`.
    pub federation_allow_local_callbacks: Option<bool>,
}

impl FileConfig {
    /// Reads the file at `path`, or the defaults when `path` is `None`.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }
}

/// Where stored data lives: the data folder and, optionally, a PostgreSQL URL.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// Data folder; created when missing.
    pub data_dir: PathBuf,
    /// `postgres://...`; `None` selects SQLite at `data_dir/warn.db`.
    pub database_url: Option<String>,
    /// The key file of stored hashes; `None` uses (and on first start
    /// creates) `data_dir/secrets/hash.key`.
    pub hash_key_file: Option<PathBuf>,
}

impl StorageConfig {
    /// Merges command-line/environment values over the file's and the defaults.
    pub fn resolve(
        data_dir: Option<PathBuf>,
        database_url: Option<String>,
        file: &FileConfig,
    ) -> Self {
        Self {
            data_dir: data_dir
                .or_else(|| file.data_dir.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database_url: database_url.or_else(|| file.database_url.clone()),
            hash_key_file: file.hash_key_file.clone(),
        }
    }
}

/// Everything `warn serve` needs.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where stored data lives: the data folder, the database, the hash key.
    pub storage: StorageConfig,
    /// Folder with the built portal; `None` serves the API only.
    pub portal_dir: Option<PathBuf>,
    /// Services this process runs.
    pub services: Services,
    /// Address of the internal listener; `None` when every service runs here.
    pub internal_listen: Option<SocketAddr>,
    /// Token every internal call carries (needed with an internal listener
    /// or a remote service).
    pub service_token: Option<ServiceToken>,
    /// Internal listener of the test result service when it is not in this process.
    pub testresult_url: Option<String>,
    /// Internal listener of the verification service when it is not in this process.
    pub verification_url: Option<String>,
    /// How often the clean-up of expired data runs; `None` runs none in this
    /// process (another replica does it, or a test wants a still database).
    pub cleanup_interval: Option<std::time::Duration>,
    /// This server's country and the countries it knows.
    pub countries: Countries,
    /// Session rules of the portal.
    pub portal: PortalConfig,
    /// How often the distribution runs in this process (when it runs the
    /// distribution service); `None` runs none (tests, or another replica does).
    pub distribution_interval: Option<std::time::Duration>,
    /// How often this process looks for distribution runs of other
    /// processes, to serve their files (when it runs the distribution service).
    pub distribution_watch: std::time::Duration,
    /// Options of the distribution.
    pub distribution: DistributionSettings,
    /// How this national server reaches the federation gateway; `None`
    /// runs no federation.
    pub federation: Option<FederationSettings>,
    /// The gateway role's certificate, key and CA (with `--services gateway`).
    pub gateway_tls: Option<GatewayTls>,
    /// Bounds on connections, time and requests per client.
    pub limits: crate::limits::Limits,
}

/// The files of the gateway's mTLS listener.
#[derive(Debug, Clone)]
pub struct GatewayTls {
    /// The gateway's certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
    /// The CA that issued every country's certificate (PEM).
    pub ca: PathBuf,
    /// Callback URLs may be `http` and on private or loopback addresses
    /// (a local set-up only).
    pub allow_local_callbacks: bool,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("storage", &self.storage.data_dir)
            .field("portal_dir", &self.portal_dir)
            .field("services", &self.services)
            .field("internal_listen", &self.internal_listen)
            .field("service_token", &self.service_token)
            .field("testresult_url", &self.testresult_url)
            .field("verification_url", &self.verification_url)
            .field("cleanup_interval", &self.cleanup_interval)
            .field("countries", &self.countries)
            .field("portal", &self.portal)
            .field("distribution_interval", &self.distribution_interval)
            .field("distribution_watch", &self.distribution_watch)
            .field("federation", &self.federation)
            .field("gateway_tls", &self.gateway_tls)
            .field("limits", &self.limits)
            .finish()
    }
}

impl ServerConfig {
    /// Every service in one process, no internal listener, no portal.
    pub fn new(listen: SocketAddr, storage: StorageConfig) -> Self {
        Self {
            listen,
            storage,
            portal_dir: None,
            services: Services::all(),
            internal_listen: None,
            service_token: None,
            testresult_url: None,
            verification_url: None,
            cleanup_interval: Some(CLEANUP_INTERVAL),
            countries: Countries::default(),
            portal: PortalConfig::default(),
            distribution_interval: Some(DISTRIBUTION_INTERVAL),
            distribution_watch: DISTRIBUTION_WATCH_INTERVAL,
            distribution: DistributionSettings::default(),
            federation: None,
            gateway_tls: None,
            limits: crate::limits::Limits::default(),
        }
    }
}

/// One of the services `warn serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Registration tokens, test result polling, TANs, teleTANs.
    Verification,
    /// Lab uploads and results.
    Testresult,
    /// Diagnosis key uploads.
    Submission,
    /// Hourly signed bundles, and serving them.
    Distribution,
    /// The federation gateway (EFGS contract over mTLS); runs alone, not
    /// part of `all`.
    Gateway,
}

impl Service {
    /// Every service a name may select.
    const KNOWN: [Service; 5] = [
        Service::Verification,
        Service::Testresult,
        Service::Submission,
        Service::Distribution,
        Service::Gateway,
    ];

    const ALL: [Service; 4] = [
        Service::Verification,
        Service::Testresult,
        Service::Submission,
        Service::Distribution,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Verification => "verification",
            Self::Testresult => "testresult",
            Self::Submission => "submission",
            Self::Distribution => "distribution",
            Self::Gateway => "gateway",
        }
    }
}

/// The set of services a process runs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Services(std::collections::BTreeSet<Service>);

impl Services {
    /// Every service.
    pub fn all() -> Self {
        Self(Service::ALL.into_iter().collect())
    }

    /// One service alone.
    pub fn only(service: Service) -> Self {
        Self(std::iter::once(service).collect())
    }

    /// Whether `service` runs here.
    pub fn runs(&self, service: Service) -> bool {
        self.0.contains(&service)
    }
}

impl std::str::FromStr for Services {
    type Err = String;

    /// A comma-separated list (`verification,testresult`) or `all`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim() == "all" {
            return Ok(Self::all());
        }
        let mut set = std::collections::BTreeSet::new();
        for name in text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            let service = Service::KNOWN
                .into_iter()
                .find(|service| service.name() == name)
                .ok_or_else(|| {
                    let known: Vec<_> = Service::KNOWN
                        .iter()
                        .map(|service| service.name())
                        .collect();
                    format!(
                        "unknown service {name:?} (known: {}, or all)",
                        known.join(", ")
                    )
                })?;
            set.insert(service);
        }
        if set.is_empty() {
            return Err("name at least one service".into());
        }
        Ok(Self(set))
    }
}

impl TryFrom<String> for Services {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}
