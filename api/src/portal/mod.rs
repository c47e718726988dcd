//! The portal API (`/api/v1/portal/...`): accounts with Argon2id passwords
//! and a TOTP second factor, server-side sessions, CSRF tokens, roles, the
//! audit log, and the portal's actions (teleTAN issuance, administration).
//!
//! - [`accounts`]: users, passwords, the throttles kept in the database.
//! - [`limits`]: the bound on concurrent password hashing and the
//!   throttles kept in memory (per name and client, per client).
//! - [`totp`]: the second factor (RFC 6238) and its enrolment.
//! - [`sessions`]: sessions in the database, the cookie, and the
//!   [`sessions::Authorized`] extractor that every route takes: it checks
//!   the session, the CSRF token and the role, in that order.
//! - [`csrf`]: the token bound to the session.
//! - [`audit`]: who did what when, never a secret.
//! - [`routes`]: the handlers.
//!
//! The portal API runs in a process that runs the verification service:
//! teleTAN issuance is an in-process call of
//! [`crate::verification::teletan::issue`].

pub mod accounts;
pub mod audit;
pub mod csrf;
pub mod limits;
pub mod routes;
pub mod sessions;
pub mod totp;

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

/// Seconds of a duration as the database stores times.
pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Fills `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], crate::error::AppError> {
    shared::random::try_bytes()
        .map_err(|error| crate::error::AppError::Internal(format!("no randomness: {error}")))
}
