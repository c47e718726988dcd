//! The portal's session rules and the bound on password hashing.

use std::time::Duration;

/// Session rules of the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// A session without a request for this long ends (default 20 minutes).
    pub idle_timeout: Duration,
    /// A session ends this long after the log-in, whatever happens (default 8 hours).
    pub absolute_timeout: Duration,
    /// The portal is reached over TLS (usually through a reverse proxy):
    /// the session cookie is `__Host-warn_session` with `Secure` and
    /// `Path=/`, and no other cookie name is accepted. Without it the
    /// cookie is `warn_session` (a request that arrives with
    /// `X-Forwarded-Proto: https` gets it `Secure`).
    pub secure_cookie: bool,
    /// Most password hashes computed at once (Argon2id, 19 MiB each).
    pub hashing_concurrency: usize,
    /// Most log-ins waiting for a hash; beyond it a log-in is answered 503
    /// at once.
    pub hashing_queue: usize,
}

/// The default bound on concurrent password hashes: the cores, at most 4.
pub fn default_hashing_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 4)
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(20 * 60),
            absolute_timeout: Duration::from_secs(8 * 3600),
            secure_cookie: false,
            hashing_concurrency: default_hashing_concurrency(),
            hashing_queue: 16,
        }
    }
}
