//! `cargo xtask load soak [MINUTES] [sqlite|postgres]`: `warn serve` under a
//! steady mixed load for MINUTES (default 10), as a country's phones and
//! labs bring it, with a distribution run every minute.
//!
//! Each worker thread lives the life of phones, one request at a time with
//! a short pause, each phone from its own address (`X-Forwarded-For`
//! through one trusted proxy, so the per-address limits see a country's
//! phones, not one client): register a test (a random hashed GUID), the lab uploads
//! its result, the phone polls; a positive phone gets a TAN and submits
//! keys (a protobuf of 1 to 14 keys); fake requests (`cwa-fake: 1`) of
//! every kind come in between, and the published indexes are read. A
//! `warn distribute` runs every 60 seconds beside the server (as a cron
//! job would, only 60 times faster). Every 10 seconds the server's
//! resident memory (`VmRSS`) is sampled.
//!
//! Printed (and written to `target/xtask/soak/result-DB.md`): requests,
//! errors and p50/p99/max latency per route, memory at start, end and
//! highest. Any error (a connection that fails, an answer other than the
//! one the route gives for that request) fails the command after the table.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell::Shell;

/// Phones and labs working at the same time.
const WORKERS: usize = 8;
/// Pause of a worker between two requests.
const PAUSE: Duration = Duration::from_millis(40);
/// Seconds between distribution runs ("hourly", accelerated).
const DISTRIBUTION_EVERY: Duration = Duration::from_secs(60);
/// Seconds between memory samples.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// Latencies and errors of one route.
#[derive(Default)]
struct Route {
    latencies_us: Vec<u64>,
    errors: u64,
    /// The first few errors, to say what went wrong.
    examples: Vec<String>,
}

type Record = Arc<Mutex<BTreeMap<&'static str, Route>>>;

/// Runs the soak on the chosen database and prints the figures.
pub fn run(shell: &Shell, args: &[String]) -> anyhow::Result<()> {
    let minutes: u64 = match args.first() {
        Some(text) => text
            .parse()
            .with_context(|| format!("MINUTES must be a whole number, not {text:?}"))?,
        None => 10,
    };
    let database = args.get(1).map_or("sqlite", String::as_str);
    if !matches!(database, "sqlite" | "postgres") {
        bail!("the database is sqlite or postgres, not {database:?}");
    }
    shell.run(
        shell
            .cargo()
            .args(["build", "--release", "--package", "api", "--bin", "warn"]),
    )?;
    let warn = shell.target_dir().join("release/warn");
    let work = shell.target_dir().join("xtask/soak");
    let data_dir = work.join(format!("data-{database}"));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir)?;

    let mut storage = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
    let postgres = if database == "postgres" {
        let name = format!("warn_soak_{}", std::process::id());
        psql(&format!("CREATE DATABASE {name}"))
            .context("no PostgreSQL at 127.0.0.1:5432 (user postgres) to soak on")?;
        storage.extend([
            "--database-url".to_owned(),
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
        ]);
        Some(name)
    } else {
        None
    };
    let result = soak(&warn, &work, &storage, database, minutes);
    if let Some(name) = postgres {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
    result
}

fn psql(statement: &str) -> anyhow::Result<()> {
    let status = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
        .arg(statement)
        .status()
        .context("cannot run psql")?;
    anyhow::ensure!(status.success(), "psql -c {statement:?} failed");
    Ok(())
}

fn soak(
    warn: &Path,
    work: &Path,
    storage: &[String],
    database: &str,
    minutes: u64,
) -> anyhow::Result<()> {
    let lab = Command::new(warn)
        .args(["lab", "add", "Soak Lab"])
        .args(storage)
        .env_remove("WARN_CONFIG")
        .output()
        .context("cannot run warn lab add")?;
    anyhow::ensure!(lab.status.success(), "warn lab add failed");
    let lab_key = String::from_utf8_lossy(&lab.stdout)
        .lines()
        .last()
        .context("warn lab add printed no key")?
        .trim()
        .to_owned();

    let address = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let server = Server(
        Command::new(warn)
            // Behind one trusted proxy, as production behind its load
            // balancer: the per-address limits count each phone by the
            // address the proxy forwards.
            .args(["serve", "--listen", &address.to_string()])
            .args(["--trusted-proxy-hops", "1"])
            .args(storage)
            .env_remove("WARN_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start warn serve")?,
    );
    let pid = server.0.id();
    wait_until_ready(address)?;
    let load_average = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "==> soak on {database} for {minutes} min at http://{address} (load average {})",
        load_average
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let record: Record = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for worker in 0..WORKERS {
        let (record, stop, lab_key) = (record.clone(), stop.clone(), lab_key.clone());
        threads.push(std::thread::spawn(move || {
            let mut phone = Phone::new(address, record, lab_key, worker as u64);
            while !stop.load(Ordering::Relaxed) {
                phone.one_life(&stop);
            }
        }));
    }

    let started = Instant::now();
    let length = Duration::from_secs(minutes * 60);
    let mut memory = vec![(0u64, rss_kib(pid))];
    let (mut next_sample, mut next_run) = (SAMPLE_EVERY, DISTRIBUTION_EVERY);
    let mut runs = (0u32, 0u32);
    while started.elapsed() < length {
        std::thread::sleep(Duration::from_millis(250));
        let elapsed = started.elapsed();
        if elapsed >= next_sample {
            memory.push((elapsed.as_secs(), rss_kib(pid)));
            next_sample += SAMPLE_EVERY;
        }
        if elapsed >= next_run {
            next_run += DISTRIBUTION_EVERY;
            let began = Instant::now();
            let status = Command::new(warn)
                .args(["distribute", "--min-keys", "1"])
                .args(storage)
                .env_remove("WARN_CONFIG")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .status();
            let ok = status.is_ok_and(|status| status.success());
            let mut routes = record.lock().expect("record");
            let route = routes.entry("warn distribute (run)").or_default();
            route.latencies_us.push(began.elapsed().as_micros() as u64);
            if ok {
                runs.0 += 1;
            } else {
                runs.1 += 1;
                route.errors += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    memory.push((started.elapsed().as_secs(), rss_kib(pid)));
    let alive = rss_kib(pid).is_some();
    drop(server);

    let report = report(database, minutes, &record, &memory, &load_average, runs);
    println!("\n{report}");
    std::fs::create_dir_all(work)?;
    std::fs::write(work.join(format!("result-{database}.md")), &report)?;
    let errors: u64 = record
        .lock()
        .expect("record")
        .values()
        .map(|route| route.errors)
        .sum();
    anyhow::ensure!(alive, "warn serve was no longer running at the end");
    anyhow::ensure!(
        errors == 0,
        "{errors} errors during the soak (see the table)"
    );
    Ok(())
}

fn report(
    database: &str,
    minutes: u64,
    record: &Record,
    memory: &[(u64, Option<u64>)],
    load_average: &str,
    runs: (u32, u32),
) -> String {
    let routes = record.lock().expect("record");
    let mut text = format!(
        "`cargo xtask load soak {minutes} {database}`: {WORKERS} workers, {} ms pause, \
         `warn distribute` every {} s ({} runs, {} failed); load average at start {}\n\n\
         | route | requests | errors | p50 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n",
        PAUSE.as_millis(),
        DISTRIBUTION_EVERY.as_secs(),
        runs.0 + runs.1,
        runs.1,
        load_average
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (mut total, mut errors) = (0usize, 0u64);
    for (name, route) in routes.iter() {
        let mut sorted = route.latencies_us.clone();
        sorted.sort_unstable();
        let at = |fraction: f64| -> String {
            if sorted.is_empty() {
                return "-".to_owned();
            }
            let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
            format!("{:.1} ms", sorted[index - 1] as f64 / 1000.0)
        };
        total += route.latencies_us.len();
        errors += route.errors;
        text.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} |\n",
            route.latencies_us.len(),
            route.errors,
            at(0.50),
            at(0.99),
            at(1.0)
        ));
    }
    text.push_str(&format!("| **all** | {total} | {errors} | | | |\n\n"));
    let mib = |kib: Option<u64>| {
        kib.map_or("-".to_owned(), |kib| {
            format!("{:.1} MiB", kib as f64 / 1024.0)
        })
    };
    let highest = memory.iter().filter_map(|(_, kib)| *kib).max();
    text.push_str(&format!(
        "Memory of `warn serve` (VmRSS): {} at start, {} at the end, {} at most; samples every {} s: {}\n",
        mib(memory.first().and_then(|sample| sample.1)),
        mib(memory.last().and_then(|sample| sample.1)),
        mib(highest),
        SAMPLE_EVERY.as_secs(),
        memory
            .iter()
            .step_by((memory.len() / 12).max(1))
            .map(|(seconds, kib)| format!("{seconds}s {}", mib(*kib)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for (name, route) in routes.iter() {
        for example in &route.examples {
            text.push_str(&format!("\nerror on {name}: {example}"));
        }
    }
    text
}

/// Resident memory of a process in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Kills the server when dropped, also on an early return.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until_ready(address: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if exchange(address, "GET", "/readyz", &[], b"").is_ok_and(|(status, _)| status == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("warn serve did not become ready at {address}")
}

/// One request on a fresh connection: the status and the body.
fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .context("no end of the headers")?;
    let head = String::from_utf8_lossy(&answer[..split]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("not an HTTP answer")?;
    Ok((status, answer[split + 4..].to_vec()))
}

/// A small xorshift generator: enough for test data, no dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn hex(&mut self, digits: usize) -> String {
        (0..digits)
            .map(|_| char::from_digit(self.below(16) as u32, 16).expect("a hex digit"))
            .collect()
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.next().to_le_bytes());
        key[8..].copy_from_slice(&self.next().to_le_bytes());
        key
    }
}

/// One worker: phones and a lab, one request at a time.
struct Phone {
    address: SocketAddr,
    record: Record,
    lab_key: String,
    random: Random,
    /// This life's phone's address (`X-Forwarded-For`): a new one per test,
    /// as a country's phones each have their own.
    client: String,
    /// The address of the worker's lab system, the same for all its uploads.
    lab_client: String,
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

impl Phone {
    fn new(address: SocketAddr, record: Record, lab_key: String, worker: u64) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |time| time.as_nanos() as u64)
            ^ (worker + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Self {
            address,
            record,
            lab_key,
            random: Random(seed | 1),
            client: String::new(),
            lab_client: format!("10.255.0.{}", worker + 1),
        }
    }

    /// Sends one request, records its latency, and answers the body when
    /// the status is the expected one (otherwise counts an error).
    fn call(
        &mut self,
        route: &'static str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        expected: u16,
    ) -> Option<Vec<u8>> {
        std::thread::sleep(PAUSE);
        let client = if path.starts_with("/api/v1/lab/") {
            &self.lab_client
        } else {
            &self.client
        };
        let mut headers = headers.to_vec();
        headers.push(("X-Forwarded-For", client));
        let began = Instant::now();
        let result = exchange(self.address, method, path, &headers, body);
        let elapsed = began.elapsed().as_micros() as u64;
        let mut routes = self.record.lock().expect("record");
        let entry = routes.entry(route).or_default();
        entry.latencies_us.push(elapsed);
        match result {
            Ok((status, body)) if status == expected => Some(body),
            Ok((status, body)) => {
                entry.errors += 1;
                if entry.examples.len() < 3 {
                    entry.examples.push(format!(
                        "{status} {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    ));
                }
                None
            }
            Err(error) => {
                entry.errors += 1;
                if entry.examples.len() < 3 {
                    entry.examples.push(error.to_string());
                }
                None
            }
        }
    }

    /// A test from registration to (when positive) submitted keys, with
    /// fake requests and index reads in between.
    fn one_life(&mut self, stop: &AtomicBool) {
        self.client = format!(
            "10.{}.{}.{}",
            self.random.below(255),
            self.random.below(256),
            1 + self.random.below(254)
        );
        let guid = self.random.hex(64);
        let body = format!(r#"{{"key":"{guid}","keyType":"GUID"}}"#);
        let Some(answer) = self.call(
            "POST registrationToken",
            "POST",
            "/version/v1/registrationToken",
            &[JSON],
            body.as_bytes(),
            201,
        ) else {
            return;
        };
        let Some(token) = field(&answer, "registrationToken") else {
            return;
        };
        let token_body = format!(r#"{{"registrationToken":"{token}"}}"#);
        self.fake();
        self.call(
            "POST testresult",
            "POST",
            "/version/v1/testresult",
            &[JSON],
            token_body.as_bytes(),
            200,
        );
        // The lab: one in four tests is positive.
        let positive = self.random.below(4) == 0;
        let result = if positive { 2 } else { 1 };
        let upload = format!(r#"{{"testResults":[{{"id":"{guid}","result":{result}}}]}}"#);
        let bearer = format!("Bearer {}", self.lab_key);
        self.call(
            "POST lab/results",
            "POST",
            "/api/v1/lab/results",
            &[JSON, ("Authorization", &bearer)],
            upload.as_bytes(),
            204,
        );
        self.call(
            "POST testresult",
            "POST",
            "/version/v1/testresult",
            &[JSON],
            token_body.as_bytes(),
            200,
        );
        if stop.load(Ordering::Relaxed) {
            return;
        }
        self.call(
            "GET date index",
            "GET",
            "/version/v1/diagnosis-keys/country/DE/date",
            &[],
            b"",
            200,
        );
        if !positive {
            return;
        }
        let Some(answer) = self.call(
            "POST tan",
            "POST",
            "/version/v1/tan",
            &[JSON],
            token_body.as_bytes(),
            201,
        ) else {
            return;
        };
        let Some(tan) = field(&answer, "tan") else {
            return;
        };
        self.fake();
        let keys = 1 + self.random.below(14) as usize;
        let payload = self.payload(keys);
        self.call(
            "POST diagnosis-keys",
            "POST",
            "/version/v1/diagnosis-keys",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("cwa-fake", "0"),
                ("cwa-authorization", &tan),
            ],
            &payload,
            200,
        );
    }

    /// One fake request of a random kind (answered like a real one).
    fn fake(&mut self) {
        let token = format!(r#"{{"registrationToken":"{}"}}"#, uuid(&mut self.random));
        match self.random.below(3) {
            0 => {
                self.call(
                    "POST testresult (fake)",
                    "POST",
                    "/version/v1/testresult",
                    &[JSON, ("cwa-fake", "1")],
                    token.as_bytes(),
                    200,
                );
            }
            1 => {
                self.call(
                    "POST tan (fake)",
                    "POST",
                    "/version/v1/tan",
                    &[JSON, ("cwa-fake", "1")],
                    token.as_bytes(),
                    201,
                );
            }
            _ => {
                let count = 1 + self.random.below(14) as usize;
                let payload = self.payload(count);
                let tan = uuid(&mut self.random);
                self.call(
                    "POST diagnosis-keys (fake)",
                    "POST",
                    "/version/v1/diagnosis-keys",
                    &[
                        ("Content-Type", "application/x-protobuf"),
                        ("cwa-fake", "1"),
                        ("cwa-authorization", &tan),
                    ],
                    &payload,
                    200,
                );
            }
        }
    }

    /// A `SubmissionPayload` of `count` keys of the last `count` days.
    fn payload(&mut self, count: usize) -> Vec<u8> {
        let today = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |time| time.as_secs())
            / 86_400;
        let mut out = Vec::new();
        for day in 1..=count as u64 {
            let mut key = Vec::new();
            key.push(0x0a); // 1: key_data
            key.push(16);
            key.extend(self.random.bytes16());
            key.push(0x10); // 2: transmission_risk_level
            varint(&mut key, 1 + self.random.below(8));
            key.push(0x18); // 3: rolling_start_interval_number
            varint(&mut key, (today - day) * 144);
            key.push(0x20); // 4: rolling_period
            varint(&mut key, 144);
            key.push(0x30); // 6: days_since_onset_of_symptoms (sint32, zigzag)
            varint(&mut key, day * 2);
            out.push(0x0a); // SubmissionPayload 1: keys
            varint(&mut out, key.len() as u64);
            out.extend(key);
        }
        out.extend([0x22, 2, b'D', b'E']); // 4: origin
        out.extend([0x12, 16]); // 2: requestPadding
        out.extend([0u8; 16]);
        out
    }
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn uuid(random: &mut Random) -> String {
    let hex = random.hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..]
    )
}

/// The string value of `"name":"..."` in a JSON answer.
fn field(body: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let marker = format!("\"{name}\":\"");
    let rest = &text[text.find(&marker)? + marker.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_protobuf_varints() {
        let mut out = Vec::new();
        varint(&mut out, 144);
        varint(&mut out, 1);
        varint(&mut out, 300);
        assert_eq!(out, [0x90, 0x01, 0x01, 0xac, 0x02]);
    }

    #[test]
    fn a_field_is_read_from_a_json_answer() {
        let body = br#"{"registrationToken":"abc-1","responsePadding":"xx"}"#;
        assert_eq!(field(body, "registrationToken").as_deref(), Some("abc-1"));
        assert_eq!(field(body, "tan"), None);
    }

    #[test]
    fn fake_tans_look_like_uuids() {
        let tan = uuid(&mut Random(42));
        assert_eq!(tan.len(), 36);
        assert_eq!(tan.matches('-').count(), 4);
    }
}
