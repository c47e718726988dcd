//! PostgreSQL restarted under load: `/readyz` goes red while the database
//! is down and green when it is back, and `warn serve` recovers without a
//! restart of its own. No registration answered 201 is lost.
//!
//! The test starts a private PostgreSQL (`initdb`, `pg_ctl`) in a temporary
//! folder on a free port, never the machine's shared server; as root it
//! runs them as the `postgres` user. Outside CI it skips, saying so, when
//! no PostgreSQL binaries are installed.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{Client, new_guid};
use crate::support::{WarnProcess, skip};

/// A PostgreSQL server of our own, stopped (immediately) when dropped.
struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Run the server's programs as this user (when we are root).
    run_as: Option<&'static str>,
}

/// The newest `/usr/lib/postgresql/N/bin` with `pg_ctl`, or `WARN_TEST_PG_BIN`.
fn postgres_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WARN_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl PrivatePostgres {
    /// `initdb` and start; `Err` says why it cannot run here.
    fn start() -> Result<Self, String> {
        let bin = postgres_bin().ok_or("no PostgreSQL binaries (initdb, pg_ctl) installed")?;
        let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
        let run_as = is_root().then_some("postgres");
        if let Some(user) = run_as {
            // initdb refuses to run as root: the folder becomes the user's.
            let status = Command::new("chown")
                .args([&format!("{user}:"), &dir.path().display().to_string()])
                .status()
                .map_err(|error| error.to_string())?;
            if !status.success() {
                return Err(format!("cannot give the temporary folder to {user}"));
            }
        }
        let server = Self {
            bin,
            port: free_port(),
            dir,
            run_as,
        };
        let data = server.data().display().to_string();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        server.pg_ctl_start()?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|error| format!("{}: {error}", path.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let data = self.data().display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        )
    }

    fn pg_ctl_stop(&self, mode: &str) -> Result<(), String> {
        let data = self.data().display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", mode, "-w", "stop"])
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl_stop("immediate");
    }
}

/// Polls `/readyz` until it answers `wanted` (or the deadline passes).
async fn wait_ready(client: &Client, wanted: bool, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        let ready = client.get_status("/readyz").await == Some(StatusCode::OK);
        if ready == wanted {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_turns_readyz_red_then_green_and_the_service_recovers() {
    let test = "a_database_restart_turns_readyz_red_then_green_and_the_service_recovers";
    let database = match PrivatePostgres::start() {
        Ok(database) => database,
        Err(reason) => return skip(test, &reason),
    };
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let server = WarnProcess::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_dir.path().display().to_string(),
            "--database-url",
            &database.url(),
        ],
        false,
    );
    let client = Client::new(&server.base);
    assert!(
        wait_ready(&client, true, Duration::from_secs(30))
            .await
            .is_some(),
        "/readyz is green at start"
    );

    // Load: registrations, one after another on four tasks, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, stop, failures) = (client.clone(), stop.clone(), failures.clone());
        load.push(tokio::spawn(async move {
            let mut registered = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                match client.register(&new_guid()).await {
                    Ok(token) => {
                        registered.push((token, Instant::now()));
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(_) => {
                        failures.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            registered
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The database goes away (connections cut), then comes back.
    database.pg_ctl_stop("fast").expect("PostgreSQL stops");
    let stopped_at = Instant::now();
    let red = wait_ready(&client, false, Duration::from_secs(60)).await;
    assert!(red.is_some(), "/readyz stays green with the database down");
    tokio::time::sleep(Duration::from_secs(2)).await;
    database.pg_ctl_start().expect("PostgreSQL starts again");
    let restarted_at = Instant::now();
    let green = wait_ready(&client, true, Duration::from_secs(90)).await;
    assert!(green.is_some(), "/readyz stays red with the database back");
    // Requests succeed again, without a restart of warn.
    let mut recovered = None;
    while restarted_at.elapsed() < Duration::from_secs(60) {
        if client.register(&new_guid()).await.is_ok() {
            recovered = Some(restarted_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        recovered.is_some(),
        "no registration succeeded after the database came back"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let mut registered = Vec::new();
    for task in load {
        registered.extend(task.await.expect("load task"));
    }
    let during_outage = failures.load(Ordering::SeqCst);
    eprintln!(
        "red after {red:?}, green {green:?} and requests {recovered:?} after the restart; \
         {} registrations, {during_outage} failed requests",
        registered.len()
    );
    assert!(
        during_outage > 0,
        "no request failed while the database was down"
    );
    assert!(
        registered
            .iter()
            .any(|(_, at)| *at > restarted_at + recovered.unwrap_or_default()),
        "the load's own requests succeed again after the restart"
    );
    assert!(
        registered.iter().any(|(_, at)| *at < stopped_at),
        "the load ran before the outage"
    );

    // Every registration answered 201, before or after, is still there.
    for (token, _) in &registered {
        let answer = client.poll(token).await.expect("an answer");
        assert_eq!(
            answer.0,
            StatusCode::OK,
            "a registration answered 201 was lost: {:?}",
            answer.1
        );
    }
    drop(server);
}
