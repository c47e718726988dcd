//! The whole way over HTTP, on SQLite and on PostgreSQL: a phone registers
//! its test, a lab uploads a positive result, the phone polls, gets a TAN
//! and submits 14 keys; an operator's `warn distribute` (another process)
//! publishes them; the running server notices that run and serves the new
//! files; a second phone downloads the indexes and bundles as the app
//! does, verifies them with the key `warn key show` prints, finds the 14
//! keys, and `warn match` turns its observation log into high risk.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use api::config::{ServerConfig, StorageConfig};
use prost::Message;
use proto::exposurenotification::TemporaryExposureKey;
use proto::submission::SubmissionPayload;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::bundle::{KeyRing, verify_export};
use shared::en::observations::ObservationLog;
use shared::en::simulate::{self, Encounter};

use crate::app::{TestApp, new_guid};
use crate::support::{self, PostgresDatabase, TestServer};

const DAY: i64 = 86_400;
const COUNTRY: &str = "/version/v1/diagnosis-keys/country";
/// The app's transmission risk levels of the last 14 days, today first.
const LEVELS: [i32; 14] = [6, 8, 8, 8, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1];
/// The day (before today) of the key whose owner the second phone met.
const MET_DAYS_AGO: i64 = 3;

#[tokio::test(flavor = "multi_thread")]
async fn sqlite() {
    journey(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        return support::skip(
            "journey::postgres",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    journey(Some(database.url.clone())).await;
    database.drop_database().await;
}

async fn journey(database_url: Option<String>) {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: database_url.clone(),
        hash_key_file: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    // The server looks for runs of other processes every 100 ms here.
    config.distribution_watch = Duration::from_millis(100);
    let app = TestApp {
        server: TestServer::start_in(config, data_dir).await,
        client: reqwest::Client::new(),
    };
    let storage_args = storage_args(&app.server.data_dir(), database_url.as_deref());

    // The phone that tests positive: register by GUID, poll (pending).
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    let (status, body) = app.poll(&token).await;
    assert_eq!(
        (status, body["testResult"].clone()),
        (StatusCode::OK, json!(0))
    );

    // The lab uploads a positive result; the phone's next poll sees it.
    let lab = app.add_lab("Labor am Ring").await;
    let now = api::clock::now();
    let (status, body) = app
        .upload(
            &lab,
            json!({"testResults": [{"id": guid.expose(), "result": 2, "sc": now - 7200}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.poll(&token).await;
    assert_eq!(
        (status, body["testResult"].clone()),
        (StatusCode::OK, json!(2))
    );

    // A TAN, then the keys of the last 14 days, today's first.
    let (status, body) = app.tan(&token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tan = body["tan"].as_str().expect("a TAN").to_owned();
    let today = now.div_euclid(DAY);
    let keys: Vec<TemporaryExposureKey> = (0..14)
        .map(|days_ago| {
            let key_data = shared::random::bytes::<16>();
            TemporaryExposureKey {
                key_data: Some(key_data.to_vec().into()),
                transmission_risk_level: Some(LEVELS[days_ago as usize]),
                rolling_start_interval_number: Some(
                    i32::try_from((today - days_ago) * 144).expect("fits"),
                ),
                rolling_period: Some(144),
                report_type: None,
                days_since_onset_of_symptoms: None,
            }
        })
        .collect();
    let payload = SubmissionPayload {
        keys: keys.clone(),
        request_padding: vec![0u8; 120].into(),
        visited_countries: vec![],
        origin: "DE".into(),
        consent_to_federation: false,
        submission_type: 0,
    };
    let (status, _, body) = app
        .submit_raw(
            Some(&tan),
            false,
            "application/x-protobuf",
            payload.encode_to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));

    // Nothing is published yet.
    let published = |path: &str| format!("{}{path}", app.server.base);
    let countries = app
        .client
        .get(published(COUNTRY))
        .send()
        .await
        .expect("request");
    assert_eq!(countries.status(), StatusCode::NOT_FOUND);

    // The operator's run, in another process, as of 03:00 tomorrow: every
    // key's embargo is over, today is a complete day.
    let run_at = (today + 1) * DAY + 3 * 3600;
    let run_at_text = time::OffsetDateTime::from_unix_timestamp(run_at)
        .expect("a time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let mut args = vec!["distribute", "--now", &run_at_text, "--min-keys", "1"];
    args.extend(storage_args.iter().map(String::as_str));
    let output = support::warn(&args);
    assert!(
        output.status.success(),
        "warn distribute failed:\n{}",
        support::stderr(&output)
    );

    // The server notices the run and serves its files.
    let waited = Instant::now();
    let countries: Vec<String> = loop {
        let response = app
            .client
            .get(published(COUNTRY))
            .send()
            .await
            .expect("request");
        if response.status() == StatusCode::OK {
            break response.json().await.expect("a JSON index");
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the server never served the new run"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(countries, ["DE", "EUR"], "cwa-server's {{home, EUR}}");

    // The second phone: complete days as daily bundles, then the hours of
    // the current day (03:00 tomorrow: hours 0 to 2), as the released apps
    // read them: from `EUR` only.
    let downloads = tempfile::tempdir().expect("temporary folder");
    let mut bundles: Vec<PathBuf> = Vec::new();
    let dates: Vec<String> = json_at(&app, &format!("{COUNTRY}/EUR/date")).await;
    assert!(dates.contains(&date_of(today)), "{dates:?}");
    for date in &dates {
        bundles.push(
            download(
                &app,
                &format!("{COUNTRY}/EUR/date/{date}"),
                downloads.path(),
            )
            .await,
        );
    }
    let current = date_of(today + 1);
    assert!(
        !dates.contains(&current),
        "an incomplete day is listed: {dates:?}"
    );
    let hours: Vec<u32> = json_at(&app, &format!("{COUNTRY}/EUR/date/{current}/hour")).await;
    assert!(hours.iter().all(|hour| *hour < 3), "{hours:?}");
    for hour in hours {
        bundles.push(
            download(
                &app,
                &format!("{COUNTRY}/EUR/date/{current}/hour/{hour}"),
                downloads.path(),
            )
            .await,
        );
    }

    // Every bundle verifies with the key the operator sees, and the keys
    // at cwa-server's minimum level (3) or above are all there.
    let mut show = vec!["key", "show"];
    show.extend(storage_args.iter().map(String::as_str));
    let output = support::warn(&show);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let pem = support::stdout(&output);
    let mut ring = KeyRing::new();
    ring.add_pem(&pem)
        .expect("warn key show prints a public key");
    let mut found = BTreeSet::new();
    for bundle in &bundles {
        let bytes = std::fs::read(bundle).expect("downloaded");
        let verified = verify_export(&bytes, &ring)
            .unwrap_or_else(|error| panic!("{} does not verify: {error}", bundle.display()));
        assert_eq!(verified.export.batch_size(), 1);
        found.extend(
            verified
                .export
                .keys
                .iter()
                .map(|key| key.key_data().to_vec()),
        );
    }
    let published: BTreeSet<Vec<u8>> = keys
        .iter()
        .filter(|key| key.transmission_risk_level() >= 3)
        .map(|key| key.key_data().to_vec())
        .collect();
    assert_eq!(published.len(), 6);
    assert_eq!(found, published);
    // The server's published key list names the same key.
    let listed: Vec<Value> = json_at(&app, "/version/v1/keys").await;
    let base64_of = |pem: &str| {
        pem.lines()
            .filter(|line| !line.starts_with("-----") && !line.contains(':'))
            .map(str::trim)
            .collect::<String>()
    };
    assert!(
        listed.iter().any(|key| key["active"] == true
            && base64_of(key["publicKey"].as_str().unwrap_or_default()) == base64_of(&pem)),
        "{listed:?}"
    );

    // Half an hour at 50 dB near the first phone, three days ago.
    let met = &keys[MET_DAYS_AGO as usize];
    let tek: [u8; 16] = met.key_data().try_into().expect("16 bytes");
    let encounter = Encounter {
        start: u64::try_from((today - MET_DAYS_AGO) * DAY + 10 * 3600).expect("positive"),
        duration: 1800,
        attenuation: 50,
    };
    let log = ObservationLog {
        calibration_confidence: 2,
        observations: simulate::encounter(&tek, &[0x40, 0xf6, 0, 0], &encounter, 240),
    };
    let observations = downloads.path().join("observations.json");
    std::fs::write(&observations, serde_json::to_vec(&log).expect("JSON")).expect("written");
    let key_file = downloads.path().join("public.pem");
    std::fs::write(&key_file, &pem).expect("written");
    let mut matching = vec![
        "match".to_owned(),
        "--observations".to_owned(),
        observations.display().to_string(),
        "--key".to_owned(),
        key_file.display().to_string(),
        "--now".to_owned(),
        run_at_text.clone(),
    ];
    for bundle in &bundles {
        matching.extend(["--bundle".to_owned(), bundle.display().to_string()]);
    }
    let output = support::warn(&matching.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", support::stderr(&output));
    let result: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(result["diagnosisKeys"], 6, "{result}");
    assert_eq!(result["matches"]["keysMatched"], 1, "{result}");
    assert_eq!(result["exposureWindows"].as_array().map(Vec::len), Some(1));
    assert_eq!(result["exposureWindows"][0]["ageInDays"], MET_DAYS_AGO + 1);
    assert_eq!(result["result"]["totalRiskLevel"], 2, "{result}");

    app.server.stop().await;
}

/// `--data-dir DIR [--database-url URL]` of the server's storage.
fn storage_args(data_dir: &Path, database_url: Option<&str>) -> Vec<String> {
    let mut args = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
    if let Some(url) = database_url {
        args.extend(["--database-url".to_owned(), url.to_owned()]);
    }
    args
}

fn date_of(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * DAY)
        .expect("a date")
        .date()
        .to_string()
}

async fn json_at<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let response = app
        .client
        .get(format!("{}{path}", app.server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response
        .json()
        .await
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Downloads a bundle into `dir`; answers its file.
async fn download(app: &TestApp, path: &str, dir: &Path) -> PathBuf {
    let response = app
        .client
        .get(format!("{}{path}", app.server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/zip"[..]),
        "{path}"
    );
    let bytes = response.bytes().await.expect("body");
    let file = dir.join(format!(
        "{}.zip",
        path.trim_start_matches('/').replace('/', "_")
    ));
    std::fs::write(&file, &bytes).expect("written");
    file
}
