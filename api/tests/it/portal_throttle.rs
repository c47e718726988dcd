//! The portal log-in against a hostile internet (issue 15, points 3 to 5):
//! answers that do not tell known names from unknown ones, throttles that
//! a stranger who knows a name cannot turn against its owner, exactly the
//! allowed number of attempts evaluated however many arrive at once, and
//! memory that stays bounded under a flood of log-ins.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use shared::portal::Role;

use crate::app::TestApp;
use crate::portal_client::{PASSWORD, create_user, log_in, password_step};
use crate::support::{PostgresDatabase, TestServer, skip};

/// One log-in answer and how long it took.
#[derive(Debug)]
struct Timed {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

/// A client whose connections come from `ip` (any 127.x.y.z is loopback).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("an address"))
        .build()
        .expect("a client")
}

async fn log_in_from(client: &reqwest::Client, base: &str, name: &str, password: &str) -> Timed {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/portal/login"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    Timed {
        status,
        retry_after,
        body,
        took: started.elapsed(),
    }
}

/// Seven wrong passwords in a row from one client.
async fn seven_wrong(app: &TestApp, name: &str) -> Vec<Timed> {
    let client = client_from("127.0.0.1");
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(log_in_from(&client, &app.server.base, name, "not the password").await);
    }
    answers
}

async fn known_and_unknown_names_get_the_same_answers(app: &TestApp) {
    let (known, _) = create_user(app, "known", Role::Hotline).await;
    let unknown = format!("unknown-{}", &known[6..]);
    let known_answers = seven_wrong(app, &known).await;
    let unknown_answers = seven_wrong(app, &unknown).await;
    // The wait is counted in whole seconds from the attempt on.
    let shape = |answers: &[Timed]| -> Vec<(StatusCode, bool, Value)> {
        answers
            .iter()
            .map(|a| {
                let waits = a
                    .retry_after
                    .as_deref()
                    .and_then(|value| value.parse::<u64>().ok())
                    .is_some_and(|seconds| (28..=30).contains(&seconds));
                (a.status, waits, a.body["error"].clone())
            })
            .collect()
    };
    assert_eq!(
        shape(&known_answers),
        shape(&unknown_answers),
        "status, Retry-After and error are the same for a known and an unknown name"
    );
    let statuses: Vec<_> = known_answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // A refused attempt takes about as long as a checked one.
    for answers in [&known_answers, &unknown_answers] {
        let mut checked: Vec<_> = answers[..5].iter().map(|a| a.took).collect();
        checked.sort();
        let median = checked[2];
        for refused in &answers[5..] {
            assert!(
                refused.took * 2 >= median,
                "a 429 took {:?}, a checked attempt {median:?}",
                refused.took
            );
        }
    }
}

async fn someone_who_knows_a_name_cannot_lock_its_owner_out(app: &TestApp) {
    let (name, id) = create_user(app, "owner", Role::Hotline).await;
    // The owner logged in from here before (both factors).
    log_in(app, &name, id, None, api::clock::now()).await;
    let base = &app.server.base;

    // One stranger far past the free attempts: only the stranger waits.
    let stranger = client_from("127.0.0.2");
    for _ in 0..8 {
        log_in_from(&stranger, base, &name, "guess").await;
    }
    let refused = log_in_from(&stranger, base, &name, PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = log_in_from(&client_from("127.0.0.3"), base, &name, PASSWORD).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);

    // Many strangers: the name waits for new clients, not for the owner's.
    for stranger in 10..16 {
        let client = client_from(&format!("127.0.0.{stranger}"));
        for _ in 0..5 {
            log_in_from(&client, base, &name, "guess").await;
        }
    }
    let new_client = log_in_from(&client_from("127.0.0.20"), base, &name, PASSWORD).await;
    assert_eq!(
        new_client.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        new_client.body
    );
    let owner = password_step(app, &name, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
}

/// Fires `count` copies of `request` at once; returns the statuses.
async fn at_once(count: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<StatusCode> {
    let requests: Vec<_> = (0..count).map(|_| request().send()).collect();
    futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|answer| answer.expect("the server answers").status())
        .collect()
}

fn tally(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn fifty_wrong_passwords_at_once_evaluate_exactly_five(app: &TestApp) {
    let (name, _) = create_user(app, "racer", Role::Hotline).await;
    let url = format!("{}/api/v1/portal/login", app.server.base);
    let statuses = at_once(50, || {
        app.client
            .post(&url)
            .json(&json!({"name": name, "password": "wrong"}))
    })
    .await;
    assert_eq!(
        tally(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "exactly five evaluated: {statuses:?}"
    );
    assert_eq!(
        tally(&statuses, StatusCode::TOO_MANY_REQUESTS)
            + tally(&statuses, StatusCode::SERVICE_UNAVAILABLE),
        45,
        "{statuses:?}"
    );
    let (name_key, failures): (String, i64) =
        sqlx::query_as("SELECT name_key, failures FROM portal_login_throttle")
            .fetch_one(app.server.db.pool())
            .await
            .expect("one counter");
    assert_eq!(failures, 5);
    // The counter's key is keyed like every stored secret: a copy of the
    // database alone cannot test names against it.
    let label = format!("warn portal log-in name\0{name}");
    assert_eq!(name_key, app.server.db.hash(&label).to_hex());
    assert_ne!(
        name_key,
        hex::encode(sha2::Sha256::digest(label.as_bytes()))
    );
}

async fn fifty_wrong_codes_at_once_evaluate_exactly_five(app: &TestApp) {
    let (name, id) = create_user(app, "coder", Role::Hotline).await;
    let now = api::clock::now();
    let user = log_in(app, &name, id, None, now).await;
    let first = password_step(app, &name, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK);
    let cookie = crate::portal_client::cookie_pair(first.set_cookie.as_deref().expect("cookie"));
    let csrf = first.body["csrfToken"].as_str().expect("csrf").to_owned();
    let near: Vec<String> = [-60, -30, 0, 30, 60]
        .iter()
        .map(|shift| api::portal::totp::code_at(&user.totp_secret, now + shift).expect("code"))
        .collect();
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|code| !near.contains(code))
        .expect("a wrong code");
    let url = format!("{}/api/v1/portal/login/totp", app.server.base);
    let statuses = at_once(50, || {
        app.client
            .post(&url)
            .header("cookie", &cookie)
            .header(shared::portal::CSRF_HEADER, &csrf)
            .json(&json!({"code": wrong}))
    })
    .await;
    assert_eq!(
        tally(&statuses, StatusCode::UNAUTHORIZED),
        5,
        "exactly five evaluated: {statuses:?}"
    );
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 45);
    let failures: i64 = sqlx::query_scalar("SELECT failed_logins FROM portal_users WHERE id = $1")
        .bind(id)
        .fetch_one(app.server.db.pool())
        .await
        .expect("the user");
    assert_eq!(failures, 5);
}

on_both_databases!(
    known_and_unknown_names_get_the_same_answers,
    someone_who_knows_a_name_cannot_lock_its_owner_out,
    fifty_wrong_passwords_at_once_evaluate_exactly_five,
    fifty_wrong_codes_at_once_evaluate_exactly_five,
);

/// Two servers on one PostgreSQL database (as several processes run), 30
/// wrong passwords for one name at once from 10 clients spread over both
/// (the name's counter is keyed under the key they share):
/// exactly the 20 the name allows are evaluated.
#[tokio::test]
async fn the_name_limit_holds_across_processes_on_postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        return skip(
            "the_name_limit_holds_across_processes_on_postgres",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    // Every process on one database shares one hash key.
    let key_dir = tempfile::tempdir().expect("temporary folder");
    let key_file = key_dir.path().join("hash.key");
    std::fs::write(
        &key_file,
        shared::verification::HashKey::generate().to_hex(),
    )
    .expect("the key file");
    let server = || async {
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let storage = api::config::StorageConfig {
            data_dir: data_dir.path().join("data"),
            database_url: Some(database.url.clone()),
            hash_key_file: Some(key_file.clone()),
        };
        let config =
            api::config::ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
        TestServer::start_in(config, data_dir).await
    };
    let servers = [server().await, server().await];
    let user = api::portal::accounts::create(
        &servers[0].db,
        "shared-name",
        Role::Hotline,
        PASSWORD,
        api::clock::now(),
    )
    .await
    .expect("user");
    let clients: Vec<_> = (30..40)
        .map(|n| client_from(&format!("127.0.0.{n}")))
        .collect();
    let mut requests = Vec::new();
    for (n, client) in clients.iter().enumerate() {
        for attempt in 0..3 {
            let base = &servers[(n + attempt) % 2].base;
            requests.push(log_in_from(client, base, &user.name, "wrong"));
        }
    }
    let answers = futures_util::future::join_all(requests).await;
    let statuses: Vec<_> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        tally(&statuses, StatusCode::UNAUTHORIZED),
        20,
        "exactly twenty evaluated: {statuses:?}"
    );
    assert_eq!(tally(&statuses, StatusCode::TOO_MANY_REQUESTS), 10);
    for server in servers {
        server.stop().await;
    }
    database.drop_database().await;
}

/// 64 connections (each from its own address, so no client throttle
/// applies) sending log-ins of unknown names for 4 seconds to a `warn
/// serve` process: the hashing bound answers the excess 503 at once with
/// Retry-After, and the process's peak memory stays far below what 64
/// concurrent Argon2 hashes (19 MiB each) would take.
#[tokio::test]
async fn a_flood_of_log_ins_keeps_memory_bounded() {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let args = [
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data_dir.path().as_os_str(),
    ];
    let process = crate::support::WarnProcess::start::<&std::ffi::OsStr>(&args, false);
    let url = format!("{}/api/v1/portal/login", process.base);
    let until = Instant::now() + Duration::from_secs(4);
    let workers: Vec<_> = (0..64)
        .map(|worker| {
            let client = client_from(&format!("127.0.1.{}", worker + 1));
            let url = url.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let response = client
                        .post(&url)
                        .json(&json!({"name": format!("nobody-{worker}-{n}"), "password": "x"}))
                        .send()
                        .await
                        .expect("the server answers");
                    let busy_retry = response.headers().contains_key("retry-after");
                    seen.push((response.status(), busy_retry));
                }
                seen
            })
        })
        .collect();
    let mut seen = Vec::new();
    for worker in workers {
        seen.extend(worker.await.expect("worker"));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid()))
        .expect("the process's status");
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    let busy = seen
        .iter()
        .filter(|(status, retry)| *status == StatusCode::SERVICE_UNAVAILABLE && *retry)
        .count();
    let other = seen
        .iter()
        .filter(|(status, _)| {
            ![
                StatusCode::UNAUTHORIZED,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE,
            ]
            .contains(status)
        })
        .count();
    eprintln!(
        "flood: {} answers, {busy} busy, peak memory {} MiB",
        seen.len(),
        peak_kib / 1024
    );
    assert_eq!(other, 0, "only 401, 429 and 503 answers");
    assert!(busy > 0, "the excess is turned away at once");
    // 64 concurrent hashes alone take 1.2 GiB (3-4 GB were measured before
    // the bound). Measured with the bound: 377 MiB peak for the whole
    // debug-built process.
    assert!(
        peak_kib < 1024 * 1024,
        "peak memory {} MiB under the flood",
        peak_kib / 1024
    );
}
