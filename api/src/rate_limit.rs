//! Per-route rate limits of the app-facing routes (and of a national
//! server's federation callback), per client address, that keep no address
//! anywhere: one mechanism for every limited route.
//!
//! Each limited route has a fixed table of [`SLOTS`] counters (GCRA: the
//! theoretical arrival time of the next request, in nanoseconds). A client
//! address picks its slot by a keyed hash (SipHash under a random key drawn
//! when the process starts), so the table holds neither an address nor
//! anything that gives one back without the key, which never leaves memory;
//! it never grows (a distant collision shares a budget), and a slot whose
//! time has passed is as good as empty: entries expire by themselves.
//! IPv6 addresses count by their /64 prefix (what one subscriber holds).
//!
//! The layer sits outside the fake-request layer: a fake request counts
//! exactly like a real one, and an answer of 429 looks the same for both.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::limits::Limits;

/// Counters per limited route (8 bytes each: 512 KiB per route).
pub const SLOTS: usize = 1 << 16;

/// The phone-facing routes (SPEC sections 2 and 4).
const PHONE_ROUTES: [&str; 4] = [
    "/version/v1/registrationToken",
    "/version/v1/testresult",
    "/version/v1/tan",
    "/version/v1/diagnosis-keys",
];
/// The lab API (SPEC section 3).
const LAB_ROUTES: [&str; 1] = ["/api/v1/lab/results"];
/// A national server's federation callback, which anyone may call.
const CALLBACK_ROUTES: [&str; 1] = ["/federation/v1/callback"];
/// Requests a minute one client address may send to the callback: far
/// above what a gateway sends (one call per batch, one after the other),
/// and a call past it is cheap anyway (downloads start at most once per
/// `--federation-callback-interval`).
pub const CALLBACK_REQUESTS_PER_MINUTE: u32 = 120;

/// A GCRA limiter over a fixed table of slots.
struct RateLimiter {
    slots: Box<[AtomicU64]>,
    /// Nanoseconds between two requests at the sustained rate.
    interval: u64,
    /// How far ahead of now a slot's time may run (the burst).
    tolerance: u64,
}

impl RateLimiter {
    /// `per_minute` requests a minute, all of them at once if need be;
    /// `None` for 0 (no limit).
    fn per_minute(per_minute: u32) -> Option<Self> {
        if per_minute == 0 {
            return None;
        }
        let interval = 60_000_000_000 / u64::from(per_minute);
        Some(Self {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            interval,
            tolerance: interval * (u64::from(per_minute) - 1),
        })
    }

    /// Counts a request in `slot` at `now` (nanoseconds since the process's
    /// epoch): `Err` with the wait until one would be allowed.
    fn check(&self, slot: usize, now: u64) -> Result<(), Duration> {
        let cell = &self.slots[slot % self.slots.len()];
        let mut current = cell.load(Ordering::Relaxed);
        loop {
            if current > now + self.tolerance {
                return Err(Duration::from_nanos(current - self.tolerance - now));
            }
            let next = current.max(now) + self.interval;
            match cell.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }
}

/// The limiters of the routes this process serves, and how to find the client.
pub(crate) struct RateLimits {
    routes: HashMap<&'static str, RateLimiter>,
    key: std::collections::hash_map::RandomState,
    epoch: tokio::time::Instant,
    trusted_proxy_hops: usize,
}

impl RateLimits {
    /// The limiters that `limits` asks for.
    pub(crate) fn new(limits: &Limits) -> Arc<Self> {
        let mut routes = HashMap::new();
        let classes = [
            (&PHONE_ROUTES[..], limits.phone_requests_per_minute),
            (&LAB_ROUTES[..], limits.lab_requests_per_minute),
            (&CALLBACK_ROUTES[..], CALLBACK_REQUESTS_PER_MINUTE),
        ];
        for (paths, per_minute) in classes {
            for path in paths {
                if let Some(limiter) = RateLimiter::per_minute(per_minute) {
                    routes.insert(*path, limiter);
                }
            }
        }
        Arc::new(Self {
            routes,
            // SipHash-1-3 under 128 random bits from the operating system.
            key: std::collections::hash_map::RandomState::new(),
            epoch: tokio::time::Instant::now(),
            trusted_proxy_hops: limits.trusted_proxy_hops,
        })
    }

    /// The slot of a client address: a keyed hash of the address (IPv4) or
    /// of its /64 prefix (IPv6).
    fn slot(&self, address: IpAddr) -> usize {
        // Only the low bits pick the slot.
        (self.key.hash_one(identity(address)) as usize) % SLOTS
    }

    /// The client's address (see [`client_address`]).
    fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        client_address(peer, headers, self.trusted_proxy_hops)
    }
}

/// The client's address: the peer's, or with `trusted_proxy_hops` proxies
/// in front (`--trusted-proxy-hops`) the entry of `X-Forwarded-For` they
/// vouch for. Every per-client limit (these and the portal log-in's)
/// finds the client here.
pub(crate) fn client_address(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted_proxy_hops: usize,
) -> Option<IpAddr> {
    if trusted_proxy_hops > 0 {
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let forwarded = entries
            .len()
            .checked_sub(trusted_proxy_hops)
            .and_then(|index| entries[index].parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|peer| peer.ip())
}

/// What a client is counted by: an IPv4 address, or an IPv6 /64 prefix.
pub(crate) fn identity(address: IpAddr) -> Vec<u8> {
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets()[..8].to_vec(),
    }
}

/// The middleware (a route layer: it needs the matched route).
pub(crate) async fn layer(
    State(limits): State<Arc<RateLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let limiter = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|path| limits.routes.get(path.as_str()));
    if let Some(limiter) = limiter {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        if let Some(client) = limits.client(peer, request.headers()) {
            let now = u64::try_from(limits.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
            if let Err(wait) = limiter.check(limits.slot(client), now) {
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return AppError::TooManyRequests {
                    retry_after: retry_after.max(1),
                }
                .into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn a_burst_of_the_minute_s_allowance_passes_then_one_waits() {
        let limiter = RateLimiter::per_minute(6).unwrap();
        for _ in 0..6 {
            assert!(limiter.check(7, 0).is_ok());
        }
        let wait = limiter.check(7, 0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        // Another slot has its own budget; time refills this one.
        assert!(limiter.check(8, 0).is_ok());
        assert!(limiter.check(7, 10 * SECOND).is_ok());
        assert!(limiter.check(7, 10 * SECOND).is_err());
    }

    #[test]
    fn no_limit_for_zero() {
        assert!(RateLimiter::per_minute(0).is_none());
    }

    #[test]
    fn forwarded_for_counts_only_with_trusted_hops() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let mut limits = Limits::default();
        let untrusted = RateLimits::new(&limits);
        assert_eq!(untrusted.client(Some(peer), &headers), Some(peer.ip()));
        limits.trusted_proxy_hops = 1;
        let one = RateLimits::new(&limits);
        assert_eq!(
            one.client(Some(peer), &headers),
            Some("198.51.100.7".parse().unwrap())
        );
        limits.trusted_proxy_hops = 3;
        let too_many = RateLimits::new(&limits);
        assert_eq!(too_many.client(Some(peer), &headers), Some(peer.ip()));
    }

    #[test]
    fn an_ipv6_subscriber_counts_by_its_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(identity(a), identity(b));
        assert_ne!(identity(a), identity(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(identity(mapped), vec![192, 0, 2, 1]);
    }
}
