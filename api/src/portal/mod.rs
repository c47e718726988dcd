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

use std::sync::Arc;
use std::time::Duration;

use crate::config::PortalConfig;
use crate::db::Db;
use crate::verification::VerificationConfig;

/// What the portal's handlers and extractors share.
#[derive(Clone)]
pub struct PortalState {
    /// The database.
    pub db: Db,
    /// Session rules.
    pub config: Arc<PortalConfig>,
    /// The log-in's limits kept in memory (hashing bound, throttles).
    pub login_limits: Arc<limits::LoginLimits>,
    /// The verification service's rules, for the teleTANs the portal issues.
    pub rules: Arc<VerificationConfig>,
    /// Proxies in front of the server whose `X-Forwarded-For` entry counts
    /// ([`crate::limits::Limits::trusted_proxy_hops`]).
    pub trusted_proxy_hops: usize,
}

/// The client key of a log-in: see [`limits::Client`].
impl axum::extract::FromRequestParts<PortalState> for limits::Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &PortalState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0);
        let address =
            crate::rate_limit::client_address(peer, &parts.headers, state.trusted_proxy_hops);
        Ok(Self(state.login_limits.client_key(address)))
    }
}

/// Seconds of a duration as the database stores times.
pub(crate) fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
