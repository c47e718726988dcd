//! Helpers: running `warn`, finding test data, PostgreSQL databases, the test server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use api::config::{ServerConfig, StorageConfig};
use api::server::Application;

/// Runs the `warn` binary with `args`.
pub fn warn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warn"))
        .args(args)
        .env_remove("WARN_CONFIG")
        .env_remove("WARN_DATA_DIR")
        .env_remove("WARN_DATABASE_URL")
        .env_remove("WARN_HASH_KEY_FILE")
        .output()
        .expect("the warn binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Whether this run is under CI, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// Reports a skipped test, or fails it under CI.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !under_ci(),
        "{test}: {reason} (nothing may skip under CI=true)"
    );
    eprintln!("skipped {test}: {reason}");
}

/// The published test data folder (`../shared/testdata` beside the checkout,
/// or `WARN_TESTDATA`), when present.
pub fn testdata() -> Option<PathBuf> {
    let dir = std::env::var_os("WARN_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata"));
    dir.is_dir().then_some(dir)
}

/// A PostgreSQL database made for one test and dropped afterwards.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl PostgresDatabase {
    /// Creates a fresh database on the server at `WARN_TEST_POSTGRES`
    /// (default `postgres://postgres@127.0.0.1:5432`), or `None` when no
    /// server answers.
    pub async fn create() -> Option<Self> {
        use sqlx::Connection;
        let server = std::env::var("WARN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        let admin_url = format!("{server}/postgres");
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
        let name = format!("warn_test_{}", random_suffix());
        // The name is ours: a fixed prefix and hex digits.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("the test database can be created");
        Some(Self {
            url: format!("{server}/{name}"),
            admin_url,
            name,
        })
    }

    /// Drops the database (also when connections are left open).
    pub async fn drop_database(self) {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .expect("the PostgreSQL server still answers");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .expect("the test database can be dropped");
    }
}

fn random_suffix() -> String {
    let bytes = shared::random::bytes::<8>();
    hex::encode(bytes)
}

/// A running server on a free port.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// Base URL of the internal listener, when it has one.
    pub internal: Option<String>,
    /// A second connection pool on the server's database, for arranging
    /// what has no public endpoint (teleTANs, labs) and for inspecting it.
    pub db: api::db::Db,
    /// Keeps the data folder alive.
    _data_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on SQLite in a fresh folder, or on `database_url`.
    pub async fn start(database_url: Option<String>, portal_dir: Option<PathBuf>) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let storage = StorageConfig {
            data_dir: data_dir.path().join("data"),
            database_url,
            hash_key_file: None,
        };
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().expect("loopback address"), storage);
        config.portal_dir = portal_dir;
        Self::start_in(config, data_dir).await
    }

    /// Starts a server with the given configuration, keeping `data_dir` alive.
    /// The background clean-up is off, so tests see only their own changes.
    pub async fn start_in(mut config: ServerConfig, data_dir: tempfile::TempDir) -> Self {
        config.cleanup_interval = None;
        config.distribution_interval = None;
        let storage = config.storage.clone();
        let app = Application::build(config).await.expect("the server starts");
        let db = api::db::Db::open(&storage)
            .await
            .expect("a second pool opens");
        let base = format!("http://{}", app.address());
        let internal = app
            .internal_address()
            .map(|address| format!("http://{address}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            internal,
            db,
            _data_dir: data_dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The server's data folder.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._data_dir.path().join("data")
    }

    /// Stops the server and waits until it has closed its database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self.db.close().await;
    }
}

/// A `warn serve` child process, killed when dropped.
pub struct WarnProcess {
    child: Child,
    /// Base URL of the public listener, as the process logged it.
    pub base: String,
    /// Base URL of the internal listener, when one was asked for.
    pub internal: Option<String>,
    /// Every line the process has written to its standard output so far.
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for WarnProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WarnProcess {
    /// The process id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `warn serve ARGS` and waits until it logs its listener (and,
    /// with `internal`, its internal listener).
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S], internal: bool) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warn"))
            .arg("serve")
            .args(args)
            .env_remove("WARN_CONFIG")
            .env_remove("WARN_DATA_DIR")
            .env_remove("WARN_DATABASE_URL")
            .env_remove("WARN_HASH_KEY_FILE")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("warn starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&output);
        let mut find = |marker: &str| loop {
            let line = lines
                .next()
                .expect("warn logs its addresses")
                .expect("readable output");
            kept.lock().expect("not poisoned").push(line.clone());
            if let Some(at) = line.find(marker) {
                let rest = &line[at + marker.len()..];
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        };
        let base = find("serving on ");
        let internal = internal.then(|| find("internal listener on "));
        // Keep reading the output so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("not poisoned").push(line);
            }
        });
        Self {
            child,
            base,
            internal,
            output,
        }
    }

    /// The first line of standard output holding `needle`, waiting up to
    /// `patience` for it.
    pub fn line_with(&self, needle: &str, patience: std::time::Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            let found = self
                .output
                .lock()
                .expect("not poisoned")
                .iter()
                .find(|line| line.contains(needle))
                .cloned();
            if found.is_some() || std::time::Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
