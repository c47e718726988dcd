//! What a stranger can make the server spend: the operator's bounds on
//! connections, time and requests (SECURITY.md, "Limits an operator can
//! set"). The listener ([`crate::server::listener`]) and the per-route rate
//! limits ([`crate::rate_limit`]) read them; `warn serve` sets them
//! from its options.

use std::time::Duration;

/// Bounds on every listener and on the app-facing routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Open connections the public listener (or the gateway's) holds at
    /// once; further clients wait in the kernel's queue until one closes.
    pub max_connections: usize,
    /// Open connections the internal listener holds at once: its own
    /// budget, so health checks and metrics answer when the public one is full.
    pub internal_max_connections: usize,
    /// Time from a connection's start (or a request's first byte) to its
    /// complete request head.
    pub header_read_timeout: Duration,
    /// Time from a request head to the end of its body.
    pub body_read_timeout: Duration,
    /// Time a kept-alive connection may wait for its next request, and a
    /// response may wait for a client that reads nothing.
    pub idle_timeout: Duration,
    /// Time a TLS handshake (the gateway's listener) may take.
    pub tls_handshake_timeout: Duration,
    /// Requests per minute one client address may send to each phone-facing
    /// route (registration, test result, TAN, submission); 0: no limit.
    pub phone_requests_per_minute: u32,
    /// Requests per minute one client address may send to the lab API; 0: no limit.
    pub lab_requests_per_minute: u32,
    /// Proxies in front of the server that append to `X-Forwarded-For`:
    /// the client address is the entry this many places from the right.
    /// 0 (the default) ignores the header, which a client can write.
    pub trusted_proxy_hops: usize,
    /// The least time between two downloads that gateway callbacks start
    /// (`GET /federation/v1/callback`, which anyone may call): calls in
    /// between join the next download.
    pub federation_callback_interval: Duration,
}

impl Limits {
    /// Default of `--max-connections`.
    pub const MAX_CONNECTIONS: usize = 4096;
    /// Default of `--internal-max-connections`.
    pub const INTERNAL_MAX_CONNECTIONS: usize = 256;
    /// Default of `--header-read-timeout` (seconds).
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    /// Default of `--body-read-timeout` (seconds).
    pub const BODY_READ_TIMEOUT_SECS: u64 = 30;
    /// Default of `--idle-timeout` (seconds).
    pub const IDLE_TIMEOUT_SECS: u64 = 60;
    /// Default of `--tls-handshake-timeout` (seconds).
    pub const TLS_HANDSHAKE_TIMEOUT_SECS: u64 = 10;
    /// Default of `--phone-requests-per-minute`.
    pub const PHONE_REQUESTS_PER_MINUTE: u32 = 600;
    /// Default of `--lab-requests-per-minute`.
    pub const LAB_REQUESTS_PER_MINUTE: u32 = 600;
    /// Default of `--federation-callback-interval` (seconds).
    pub const FEDERATION_CALLBACK_INTERVAL_SECS: u64 = 60;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: Self::MAX_CONNECTIONS,
            internal_max_connections: Self::INTERNAL_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(Self::HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(Self::BODY_READ_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(Self::IDLE_TIMEOUT_SECS),
            tls_handshake_timeout: Duration::from_secs(Self::TLS_HANDSHAKE_TIMEOUT_SECS),
            phone_requests_per_minute: Self::PHONE_REQUESTS_PER_MINUTE,
            lab_requests_per_minute: Self::LAB_REQUESTS_PER_MINUTE,
            trusted_proxy_hops: 0,
            federation_callback_interval: Duration::from_secs(
                Self::FEDERATION_CALLBACK_INTERVAL_SECS,
            ),
        }
    }
}

/// File handles the process keeps beside its connections (database pool,
/// published files, logs, the listeners themselves).
const RESERVED_FILES: u64 = 256;

/// Raises the soft limit on open files (`RLIMIT_NOFILE`) as far as the hard
/// limit allows, so the connection limits, not the operating system, decide
/// when clients wait; warns when even the hard limit is too low for them.
pub fn raise_file_limit(limits: &Limits) {
    let wanted = (limits.max_connections + limits.internal_max_connections) as u64 + RESERVED_FILES;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(granted) if granted < wanted => tracing::warn!(
            granted,
            wanted,
            "the open-file limit is below the connection limits: lower --max-connections \
             or raise the hard limit (ulimit -Hn)"
        ),
        Ok(granted) => tracing::debug!(granted, "open-file limit"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
}
