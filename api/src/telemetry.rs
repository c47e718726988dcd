//! Logging. Logs never carry an IP address, a GUID (or its hash), a secret or
//! a request body: handlers log outcomes, and the HTTP trace layer logs only
//! method, path and status.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls are no-ops).
/// `RUST_LOG` overrides the default level `info`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
