//! Two `warn serve` processes sharing one PostgreSQL database: every
//! single-use rule still holds when the racing requests land on different
//! processes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;
use shared::verification::HashedGuid;

use crate::support::{PostgresDatabase, skip};

const TOKEN: &str = "two-processes-share-this-service-token";

/// A `warn serve` child process, killed when dropped.
struct WarnProcess {
    child: Child,
    public: String,
    internal: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for WarnProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WarnProcess {
    fn start(database_url: &str) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_warn"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--internal-listen",
                "127.0.0.1:0",
            ])
            .args(["--service-token", TOKEN, "--database-url", database_url])
            .arg("--data-dir")
            .arg(data_dir.path())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("warn starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut find = |marker: &str| loop {
            let line = lines
                .next()
                .expect("warn logs its addresses")
                .expect("readable output");
            if let Some(at) = line.find(marker) {
                let rest = &line[at + marker.len()..];
                break format!(
                    "http://{}",
                    rest.split_whitespace().next().unwrap_or_default()
                );
            }
        };
        let public = find("serving on http://");
        let internal = find("internal listener on http://");
        // Keep draining the output so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            public,
            internal,
            _data_dir: data_dir,
        }
    }
}

/// Fires `count` requests alternating between the two processes; returns
/// how many got `success`.
async fn race(
    urls: [String; 2],
    body: serde_json::Value,
    count: usize,
    success: StatusCode,
) -> usize {
    let client = reqwest::Client::new();
    let requests = (0..count).map(|index| {
        client
            .post(&urls[index % 2])
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    responses
        .into_iter()
        .map(|response| response.expect("the server answers").status())
        .filter(|status| *status == success)
        .count()
}

/// One call (with the service token, which public routes ignore); the JSON answer.
async fn call(url: &str, body: serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .post(url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON answer")
}

#[tokio::test]
async fn single_use_holds_across_two_processes_on_postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        return skip(
            "single_use_holds_across_two_processes_on_postgres",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    let first = WarnProcess::start(&database.url);
    let second = WarnProcess::start(&database.url);
    let both = |path: &str, internal: bool| {
        let base = |process: &WarnProcess| {
            if internal {
                process.internal.clone()
            } else {
                process.public.clone()
            }
        };
        [
            format!("{}{path}", base(&first)),
            format!("{}{path}", base(&second)),
        ]
    };

    // 200 registrations of one GUID: one token.
    let guid = HashedGuid::from_guid("TWO-PROCESSES-GUID");
    let wins = race(
        both("/version/v1/registrationToken", false),
        json!({"key": guid.expose(), "keyType": "GUID"}),
        200,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(wins, 1, "registrations of one GUID");

    // 200 uses of one teleTAN: one token.
    let issued = call(
        &format!("{}/version/v1/tan/teletan", first.internal),
        json!({"issuer": "agent"}),
    )
    .await;
    let teletan = issued["value"].as_str().expect("a teleTAN").to_owned();
    let wins = race(
        both("/version/v1/registrationToken", false),
        json!({"key": teletan, "keyType": "TELETAN"}),
        200,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(wins, 1, "uses of one teleTAN");

    // A TAN for a teleTAN registration, burned 200 times at once: one success.
    let teletan = call(
        &format!("{}/version/v1/tan/teletan", second.internal),
        json!({"issuer": "agent-2"}),
    )
    .await;
    let registered = call(
        &format!("{}/version/v1/registrationToken", first.public),
        json!({"key": teletan["value"], "keyType": "TELETAN"}),
    )
    .await;
    let tan = call(
        &format!("{}/version/v1/tan", second.public),
        json!({"registrationToken": registered["registrationToken"]}),
    )
    .await;
    let wins = race(
        both("/version/v1/tan/verify", true),
        json!({"tan": tan["tan"]}),
        200,
        StatusCode::OK,
    )
    .await;
    assert_eq!(wins, 1, "uses of one TAN");

    drop(first);
    drop(second);
    database.drop_database().await;
}
