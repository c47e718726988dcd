//! Two `warn serve` processes sharing one PostgreSQL database: every
//! single-use rule still holds when the racing requests land on different
//! processes.

use reqwest::StatusCode;
use serde_json::json;
use shared::verification::HashedGuid;

use crate::support::{PostgresDatabase, WarnProcess, skip};

const TOKEN: &str = "two-processes-share-this-service-token";

/// A `warn serve` process on the shared database, with its data folder.
struct Replica {
    process: WarnProcess,
    _data_dir: tempfile::TempDir,
}

impl Replica {
    /// Every process on one database shares one hash key (`key_file`).
    fn start(database_url: &str, key_file: &std::path::Path) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let token_file = data_dir.path().join("service-token");
        std::fs::write(&token_file, TOKEN).unwrap();
        let args = [
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--internal-listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--service-token-file".as_ref(),
            token_file.as_os_str(),
            "--database-url".as_ref(),
            database_url.as_ref(),
            "--data-dir".as_ref(),
            data_dir.path().as_os_str(),
            "--hash-key-file".as_ref(),
            key_file.as_os_str(),
        ];
        Self {
            process: WarnProcess::start::<&std::ffi::OsStr>(&args, true),
            _data_dir: data_dir,
        }
    }

    fn public(&self) -> &str {
        &self.process.base
    }

    fn internal(&self) -> &str {
        self.process
            .internal
            .as_deref()
            .expect("an internal listener")
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
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("hash.key");
    std::fs::write(
        &key_file,
        shared::verification::HashKey::generate().to_hex(),
    )
    .unwrap();
    let first = Replica::start(&database.url, &key_file);
    let second = Replica::start(&database.url, &key_file);
    let both = |path: &str, internal: bool| {
        let base = |process: &Replica| {
            if internal {
                process.internal().to_owned()
            } else {
                process.public().to_owned()
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
        &format!("{}/version/v1/tan/teletan", first.internal()),
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
        &format!("{}/version/v1/tan/teletan", second.internal()),
        json!({"issuer": "agent-2"}),
    )
    .await;
    let registered = call(
        &format!("{}/version/v1/registrationToken", first.public()),
        json!({"key": teletan["value"], "keyType": "TELETAN"}),
    )
    .await;
    let tan = call(
        &format!("{}/version/v1/tan", second.public()),
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

/// `warn serve` on an empty database says how to add the first
/// administrator, with a command that works as printed (`NAME` replaced);
/// once there is a user it says nothing of the kind.
#[test]
fn serve_on_an_empty_database_says_how_to_add_the_first_administrator() {
    use std::time::Duration;
    let data_dir = tempfile::tempdir().unwrap();
    let args = [
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data_dir.path().as_os_str(),
    ];
    let server = WarnProcess::start::<&std::ffi::OsStr>(&args, false);
    let line = server
        .line_with("first administrator", Duration::from_secs(10))
        .expect("warn serve says how to add the first administrator");
    drop(server);
    let command = line
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("no `command` in {line:?}"));
    let words: Vec<&str> = command
        .split_whitespace()
        .map(|word| if word == "NAME" { "anna" } else { word })
        .collect();
    assert_eq!(words[0], "warn", "{line}");
    let output = crate::support::warn(&words[1..]);
    assert!(
        output.status.success(),
        "{command:?} fails: {}",
        crate::support::stderr(&output)
    );
    let printed = crate::support::stdout(&output);
    assert!(printed.contains("\"anna\" (admin) added"), "{printed}");

    let server = WarnProcess::start::<&std::ffi::OsStr>(&args, false);
    let hint = server.line_with("first administrator", Duration::from_secs(2));
    assert_eq!(hint, None, "with a user, warn serve still says it has none");
}
