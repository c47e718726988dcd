//! How a national server reaches the federation gateway.

use std::path::PathBuf;

/// How this server reaches the gateway.
#[derive(Debug, Clone)]
pub struct FederationSettings {
    /// Base URL of the gateway, `https://HOST:PORT`.
    pub gateway_url: String,
    /// This country's certificate (PEM), issued by `ca`, `C=` the home country.
    pub cert: PathBuf,
    /// Its private key (PKCS#8 PEM).
    pub key: PathBuf,
    /// The federation's CA certificate (PEM).
    pub ca: PathBuf,
    /// Fewest keys per upload (default 140).
    pub min_batch: Option<usize>,
    /// The URL the gateway calls when a batch arrives (registered at start).
    pub callback_url: Option<String>,
}
