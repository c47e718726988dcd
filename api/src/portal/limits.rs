//! What a stranger can spend on the log-in, kept in this process's memory:
//!
//! - [`HashingGate`]: at most `hashing_concurrency` Argon2 computations at
//!   once, at most `hashing_queue` more waiting; beyond that a log-in is
//!   answered 503 at once. Each hash takes about 19 MiB, so this bounds the
//!   memory the log-in can take.
//! - Failed password attempts per (name, client) and per client, where the
//!   client is a keyed hash of its address (the one the rate limits count
//!   by: the connection's, or the proxies' `X-Forwarded-For` entry under
//!   `--trusted-proxy-hops`; an IPv6 address by its /64): the key is random per process and never written anywhere, the
//!   entries are forgotten an hour after their last failure, and no address
//!   is stored, on disk or in memory. Names are counted whether they exist
//!   or not, so the answers do not tell them apart.
//! - The (name, client) pairs that completed a log-in recently: they pass
//!   the per-name limit kept in the database (see
//!   [`super::accounts::check_password`]), so someone who knows a name
//!   cannot lock its owner out from elsewhere.
//!
//! A reservation counts an attempt as failed *before* it is evaluated and
//! a success gives it back, so concurrent attempts cannot overtake the
//! count: exactly the allowed number is evaluated.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::config::PortalConfig;

/// Failed attempts of one name from one client that cost nothing.
pub const PAIR_FREE_FAILURES: u32 = 5;
/// Failed attempts of one client over every name that cost nothing.
pub const CLIENT_FREE_FAILURES: u32 = 20;
/// An entry without a failure for this long is forgotten (seconds).
pub const FORGET_AFTER: i64 = 3600;
/// How long a completed log-in lets its (name, client) pass the per-name
/// limit (seconds).
pub const KNOWN_FOR: i64 = 12 * 3600;
/// Most entries of each table; beyond it, entries that are not waiting are
/// dropped first.
const MAX_ENTRIES: usize = 100_000;
/// The longest wait after failed attempts (seconds).
pub const MAX_WAIT: i64 = 15 * 60;

/// The wait after `failures` failed attempts in a row when `free` of them
/// cost nothing: 30 seconds after the last free one, twice as long after
/// each further one, at most [`MAX_WAIT`]; `None` while they are free.
pub fn wait_after(failures: i64, free: i64) -> Option<i64> {
    if failures < free {
        return None;
    }
    let doublings = u32::try_from(failures - free).unwrap_or(u32::MAX).min(10);
    Some((30_i64 << doublings).min(MAX_WAIT))
}

/// The same schedule as SQL over the column expression `count` (the count
/// after this attempt), so the database computes the wait in the statement
/// that reserves the attempt.
pub fn wait_after_sql(count: &str, free: i64) -> String {
    let mut cases = String::from("CASE");
    let mut extra = 0;
    while let Some(wait) = wait_after(free + extra, free) {
        if wait >= MAX_WAIT {
            break;
        }
        cases.push_str(&format!(" WHEN {count} = {} THEN {wait}", free + extra));
        extra += 1;
    }
    cases.push_str(&format!(" ELSE {MAX_WAIT} END"));
    cases
}

/// A client: a keyed hash of its address (never the address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey([u8; 16]);

/// A typed name as this process's memory keeps it: a keyed hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameKey([u8; 16]);

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    failures: u32,
    locked_until: i64,
    last: i64,
}

impl Counter {
    fn wait(&self, now: i64) -> Option<u64> {
        (self.locked_until > now).then(|| u64::try_from(self.locked_until - now).unwrap_or(1))
    }

    fn reserve(&mut self, free: u32, now: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last = now;
        if let Some(wait) = wait_after(i64::from(self.failures), i64::from(free)) {
            self.locked_until = now + wait;
        }
    }

    /// Gives back one reservation (the attempt succeeded).
    fn give_back(&mut self, free: u32) {
        self.failures = self.failures.saturating_sub(1);
        if self.failures < free {
            self.locked_until = 0;
        }
    }

    fn stale(&self, now: i64) -> bool {
        self.locked_until <= now && self.last < now - FORGET_AFTER
    }
}

#[derive(Debug, Default)]
struct Attempts {
    pairs: HashMap<(NameKey, ClientKey), Counter>,
    clients: HashMap<ClientKey, Counter>,
    known: HashMap<(NameKey, ClientKey), i64>,
    last_sweep: i64,
}

impl Attempts {
    fn sweep(&mut self, now: i64) {
        let crowded = self.pairs.len() > MAX_ENTRIES
            || self.clients.len() > MAX_ENTRIES
            || self.known.len() > MAX_ENTRIES;
        if now - self.last_sweep < 60 && !crowded {
            return;
        }
        self.last_sweep = now;
        self.pairs.retain(|_, counter| !counter.stale(now));
        self.clients.retain(|_, counter| !counter.stale(now));
        self.known.retain(|_, until| *until > now);
        if self.pairs.len() > MAX_ENTRIES {
            self.pairs.retain(|_, counter| counter.locked_until > now);
        }
        if self.clients.len() > MAX_ENTRIES {
            self.clients.retain(|_, counter| counter.locked_until > now);
        }
        if self.known.len() > MAX_ENTRIES {
            self.known.clear();
        }
    }
}

/// The log-in's limits in this process (one per server, in its state).
pub struct LoginLimits {
    gate: Arc<HashingGate>,
    attempts: Mutex<Attempts>,
    /// Random per process, never written: keys the client and name hashes.
    key: [u8; 32],
    /// Moving average of one password check, in microseconds.
    check_micros: AtomicU64,
}

impl std::fmt::Debug for LoginLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the key nor the tables are printed.
        f.debug_struct("LoginLimits")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

/// A reservation that passed the in-memory limits.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    /// The (name, client) completed a log-in recently.
    pub known: bool,
}

impl LoginLimits {
    /// Limits for a server with `config`.
    pub fn new(config: &PortalConfig) -> Result<Self, crate::error::AppError> {
        Ok(Self {
            gate: Arc::new(HashingGate::new(
                config.hashing_concurrency,
                config.hashing_queue,
            )),
            attempts: Mutex::new(Attempts::default()),
            key: shared::random::try_bytes::<32>()?,
            check_micros: AtomicU64::new(0),
        })
    }

    /// The password hashing gate.
    pub fn gate(&self) -> &Arc<HashingGate> {
        &self.gate
    }

    fn keyed(&self, domain: &[u8], data: &[u8]) -> [u8; 16] {
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        hasher.update(domain);
        hasher.update([0]);
        hasher.update(data);
        let digest = hasher.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        out
    }

    /// The key of a client at `address` (`None`: the address is unknown,
    /// and every such client shares one key). IPv6 clients are keyed by
    /// their /64, the block one subscriber usually holds.
    pub fn client_key(&self, address: Option<IpAddr>) -> ClientKey {
        let bytes = address.map(crate::rate_limit::identity).unwrap_or_default();
        ClientKey(self.keyed(b"client", &bytes))
    }

    /// The key of a typed name.
    pub fn name_key(&self, name: &str) -> NameKey {
        NameKey(self.keyed(b"name", name.as_bytes()))
    }

    fn attempts(&self) -> MutexGuard<'_, Attempts> {
        // A panic while holding the lock leaves consistent counters behind.
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves a password attempt of `name` from `client`: refused with
    /// the seconds to wait while the pair or the client waits.
    pub fn reserve(&self, name: NameKey, client: ClientKey, now: i64) -> Result<Reserved, u64> {
        let mut attempts = self.attempts();
        attempts.sweep(now);
        let pair_wait = attempts
            .pairs
            .get(&(name, client))
            .and_then(|counter| counter.wait(now));
        let client_wait = attempts
            .clients
            .get(&client)
            .and_then(|counter| counter.wait(now));
        if let Some(wait) = pair_wait.max(client_wait) {
            return Err(wait);
        }
        attempts
            .pairs
            .entry((name, client))
            .or_default()
            .reserve(PAIR_FREE_FAILURES, now);
        attempts
            .clients
            .entry(client)
            .or_default()
            .reserve(CLIENT_FREE_FAILURES, now);
        let known = attempts
            .known
            .get(&(name, client))
            .is_some_and(|until| *until > now);
        Ok(Reserved { known })
    }

    /// The password was right: the pair starts again, the client gets its
    /// reservation back.
    pub fn password_right(&self, name: NameKey, client: ClientKey) {
        let mut attempts = self.attempts();
        attempts.pairs.remove(&(name, client));
        if let Some(counter) = attempts.clients.get_mut(&client) {
            counter.give_back(CLIENT_FREE_FAILURES);
        }
    }

    /// A log-in completed (both factors): the pair passes the per-name
    /// limit for [`KNOWN_FOR`] seconds.
    pub fn logged_in(&self, name: NameKey, client: ClientKey, now: i64) {
        self.attempts()
            .known
            .insert((name, client), now + KNOWN_FOR);
    }

    /// Forgets the failures of `name` from every client (an administrator
    /// reset the password).
    pub fn forget_name(&self, name: NameKey) {
        self.attempts().pairs.retain(|(key, _), _| *key != name);
    }

    /// Records how long a password check took. The estimate rises at once
    /// to a slower check and falls back slowly (1/8 per check): when checks
    /// slow down (load, a flood), a refused attempt must not start answering
    /// sooner than a checked one.
    pub fn record_check(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.check_micros.load(Ordering::Relaxed);
        let new = if old == 0 || sample > old {
            sample
        } else {
            old - old / 8 + sample / 8
        };
        self.check_micros.store(new, Ordering::Relaxed);
    }

    /// Waits about as long as a password check takes (±20 %), so that an
    /// attempt refused without a check answers no sooner than a checked one.
    pub async fn pause_like_a_check(&self) {
        let micros = self.check_micros.load(Ordering::Relaxed);
        let micros = if micros == 0 { 50_000 } else { micros };
        let jittered = micros as f64 * (0.8 + 0.4 * fastrand::f64());
        tokio::time::sleep(Duration::from_micros(jittered as u64)).await;
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The bound on concurrent password hashing. The hashes run on the gate's
/// own threads (as many as the bound), not on the blocking pool: the
/// allocator keeps a freed 19 MiB block per thread's arena, so a bounded
/// set of threads also bounds what stays allocated.
#[derive(Debug)]
pub struct HashingGate {
    jobs: std::sync::mpsc::SyncSender<Job>,
    permits: Arc<Semaphore>,
    /// Running plus waiting.
    admitted: AtomicUsize,
    capacity: usize,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// The gate is full: answer 503 at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A place in the gate's queue (given back when dropped).
#[derive(Debug)]
pub struct Ticket {
    gate: Arc<HashingGate>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long a queued hash may wait for its turn.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(10);

impl HashingGate {
    /// A gate for `concurrency` hashes at once and `queue` waiting.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (jobs, queue_end) = std::sync::mpsc::sync_channel::<Job>(concurrency);
        let queue_end = Arc::new(Mutex::new(queue_end));
        for n in 0..concurrency {
            let queue_end = Arc::clone(&queue_end);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    loop {
                        let job = match queue_end.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Self {
            jobs,
            permits: Arc::new(Semaphore::new(concurrency)),
            admitted: AtomicUsize::new(0),
            capacity: concurrency + queue,
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A place in the queue, or [`Busy`] when it is full (never waits).
    pub fn enter(self: &Arc<Self>) -> Result<Ticket, Busy> {
        let admitted = self.admitted.fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket {
            gate: Arc::clone(self),
        };
        if admitted >= self.capacity {
            return Err(Busy);
        }
        Ok(ticket)
    }

    /// Runs `work` on the blocking pool when its turn comes. The permit
    /// goes with the work, so a request that is dropped meanwhile (the
    /// client left) cannot let more than the bound run at once.
    pub async fn run<T: Send + 'static>(
        &self,
        ticket: Ticket,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit =
            tokio::time::timeout(MAX_QUEUE_WAIT, Arc::clone(&self.permits).acquire_owned())
                .await
                .map_err(|_| Busy)?
                .map_err(|_| Busy)?;
        let running = Arc::clone(&self.running);
        let peak = Arc::clone(&self.peak);
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _permit = permit;
            let now_running = running.fetch_add(1, Ordering::AcqRel) + 1;
            peak.fetch_max(now_running, Ordering::AcqRel);
            let result = work();
            running.fetch_sub(1, Ordering::AcqRel);
            let _ = done.send(result);
        });
        // A permit is held, so a thread is free or about to be: this
        // does not block for long.
        self.jobs.send(job).map_err(|_| Busy)?;
        let result = answer.await.map_err(|_| Busy);
        drop(ticket);
        result
    }

    /// The most hashes that ran at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn the_schedule_doubles_up_to_fifteen_minutes() {
        let waits: Vec<_> = (4..=12).map(|n| wait_after(n, 5)).collect();
        assert_eq!(
            waits,
            [
                None,
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900),
                Some(900),
                Some(900)
            ]
        );
        assert_eq!(
            wait_after_sql("n", 5),
            "CASE WHEN n = 5 THEN 30 WHEN n = 6 THEN 60 WHEN n = 7 THEN 120 \
             WHEN n = 8 THEN 240 WHEN n = 9 THEN 480 ELSE 900 END"
        );
    }

    fn limits() -> LoginLimits {
        LoginLimits::new(&PortalConfig::default()).expect("limits")
    }

    #[test]
    fn the_check_estimate_rises_at_once_and_falls_slowly() {
        let limits = limits();
        let estimate = |limits: &LoginLimits| limits.check_micros.load(Ordering::Relaxed);
        limits.record_check(Duration::from_millis(100));
        assert_eq!(estimate(&limits), 100_000);
        // Checks slow down (load): a refused attempt pauses as long at once.
        limits.record_check(Duration::from_millis(300));
        assert_eq!(estimate(&limits), 300_000);
        // They speed up again: the pause follows by an eighth per check.
        limits.record_check(Duration::from_millis(100));
        assert_eq!(estimate(&limits), 275_000);
    }

    #[test]
    fn a_pair_waits_after_five_failures_other_clients_do_not() {
        let limits = limits();
        let name = limits.name_key("anna");
        let attacker = limits.client_key(Some("192.0.2.1".parse().expect("ip")));
        let owner = limits.client_key(Some("198.51.100.7".parse().expect("ip")));
        for attempt in 0..5 {
            assert!(limits.reserve(name, attacker, 1000).is_ok(), "{attempt}");
        }
        assert_eq!(limits.reserve(name, attacker, 1000).err(), Some(30));
        assert!(limits.reserve(name, owner, 1000).is_ok());
        assert!(limits.reserve(name, attacker, 1031).is_ok());
        assert_eq!(limits.reserve(name, attacker, 1031).err(), Some(60));
    }

    #[test]
    fn a_client_waits_after_twenty_failures_over_any_names() {
        let limits = limits();
        let client = limits.client_key(Some("2001:db8::1".parse().expect("ip")));
        let same_block = limits.client_key(Some("2001:db8::ffff".parse().expect("ip")));
        assert_eq!(client, same_block, "an IPv6 client is its /64");
        for n in 0..20 {
            let name = limits.name_key(&format!("name-{n}"));
            assert!(limits.reserve(name, client, 1000).is_ok(), "{n}");
        }
        let fresh = limits.name_key("someone-else");
        assert_eq!(limits.reserve(fresh, same_block, 1000).err(), Some(30));
    }

    #[test]
    fn a_right_password_gives_the_reservation_back() {
        let limits = limits();
        let name = limits.name_key("bert");
        let client = limits.client_key(None);
        for _ in 0..4 {
            limits.reserve(name, client, 1000).expect("free");
        }
        limits.password_right(name, client);
        for _ in 0..5 {
            limits.reserve(name, client, 1000).expect("free again");
        }
        assert!(limits.reserve(name, client, 1000).is_err());
        limits.logged_in(name, client, 1000);
        assert!(limits.reserve(name, client, 2000).expect("later").known);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_gate_runs_at_most_its_bound_and_turns_the_rest_away_at_once() {
        let gate = Arc::new(HashingGate::new(2, 3));
        let started = Instant::now();
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let gate = Arc::clone(&gate);
                tokio::spawn(async move {
                    let ticket = gate.enter()?;
                    gate.run(ticket, || std::thread::sleep(Duration::from_millis(100)))
                        .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(()) => done += 1,
                Err(Busy) => busy += 1,
            }
        }
        assert_eq!(gate.peak(), 2, "at most two ran at once");
        assert!(done >= 2 && busy >= 30, "{done} ran, {busy} turned away");
        assert_eq!(done + busy, 40);
        assert!(started.elapsed() < Duration::from_secs(2));
        // Every place was given back.
        assert!(gate.enter().is_ok());
    }
}

/// The requesting client's key (an extractor): from the address the
/// rate limits count by ([`crate::rate_limit::client_address`]: the
/// connection's, or with `--trusted-proxy-hops` the `X-Forwarded-For` entry
/// the trusted proxies vouch for). The address itself is dropped here.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub ClientKey);
