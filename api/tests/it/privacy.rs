//! Privacy (SPEC section 10): after a full flow, neither the logs nor the
//! database files hold a clear GUID, hashed GUID, registration token, TAN,
//! teleTAN or lab key, and the logs hold no IP address.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::verification::HashedGuid;

use crate::support::TestServer;

/// Everything the server side of every test in this process logged, at debug level.
pub fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&logs);
        let _ = tracing_subscriber::fmt()
            // Everything the server side logs; the test's own HTTP client
            // (which names the address it connects to) is left out, and so
            // is the S3 server the distribution tests run in this process
            // (`s3s`, a stand-in for the operator's store, not ours: it logs
            // each request with its `host` header).
            .with_env_filter("debug,reqwest=off,hyper_util::client=off,s3s=off,s3s_fs=off")
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .try_init();
        logs
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    body: Value,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = client.post(url).json(&body);
    if let Some(key) = bearer {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn no_secret_reaches_the_logs_or_the_database_files() {
    let logs = captured_logs();
    let server = TestServer::start(None, None).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let mut secrets: Vec<String> = Vec::new();

    let lab_key = api::testresult::labs::add(&server.db, "Privacy Lab", api::clock::now())
        .await
        .unwrap();
    secrets.push(lab_key.clone());
    let guid = "PRIVACY-GUID-7F3A9C21-0B4D-4E55-A1C2-33D4E5F60718".to_owned();
    let hashed = HashedGuid::from_guid(&guid);
    secrets.extend([guid.clone(), hashed.expose().to_owned()]);

    let (status, body) = post(
        &client,
        format!("{base}/version/v1/registrationToken"),
        json!({"key": hashed.expose(), "keyType": "GUID"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = body["registrationToken"].as_str().unwrap().to_owned();
    secrets.push(token.clone());
    let (status, _) = post(
        &client,
        format!("{base}/api/v1/lab/results"),
        json!({"testResults": [{"id": hashed.expose(), "result": 2}]}),
        Some(&lab_key),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    post(
        &client,
        format!("{base}/version/v1/testresult"),
        json!({"registrationToken": token}),
        None,
    )
    .await;
    let (status, body) = post(
        &client,
        format!("{base}/version/v1/tan"),
        json!({"registrationToken": token}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    secrets.push(body["tan"].as_str().unwrap().to_owned());

    let teletan = api::verification::teletan::issue(
        &server.db,
        &api::verification::VerificationConfig::default(),
        "privacy-agent",
        api::clock::now(),
    )
    .await
    .unwrap();
    secrets.push(teletan.expose().to_owned());
    let (status, body) = post(
        &client,
        format!("{base}/version/v1/registrationToken"),
        json!({"key": teletan.expose(), "keyType": "TELETAN"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    secrets.push(body["registrationToken"].as_str().unwrap().to_owned());
    // Error paths log too: a wrong token and a malformed body.
    post(
        &client,
        format!("{base}/version/v1/tan"),
        json!({"registrationToken": guid}),
        None,
    )
    .await;

    // The database files as they are on disk (main file, WAL, shared memory).
    let mut files = String::new();
    for entry in std::fs::read_dir(server.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue; // signing keys and published bundles hold no user data
        }
        files.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
    }
    server.stop().await;

    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("registration created"),
        "the logs were captured: {logged}"
    );
    assert!(!files.is_empty());
    for secret in &secrets {
        for variant in [secret.clone(), secret.to_lowercase(), secret.to_uppercase()] {
            assert!(!logged.contains(&variant), "a secret reached the logs");
            assert!(
                !files.contains(&variant),
                "a secret reached the database files"
            );
        }
    }
    let ip_lines: Vec<&str> = logged
        .lines()
        .filter(|line| line.contains("127.0.0.1"))
        .collect();
    assert!(
        ip_lines.is_empty(),
        "an IP address reached the logs: {ip_lines:#?}"
    );
}

/// What anyone on the internet can read from the public listener about
/// the server's state: metrics, information, readiness, health.
async fn public_observables(base: &str) -> Vec<(u16, String)> {
    let mut seen = Vec::new();
    for path in ["/metrics", "/api/v1/info", "/readyz", "/healthz"] {
        let answer = reqwest::get(format!("{base}{path}")).await.unwrap();
        seen.push((answer.status().as_u16(), answer.text().await.unwrap()));
    }
    seen
}

/// Fourteen valid keys of the last 14 days, encoded as a submission.
fn submission_payload() -> Vec<u8> {
    use prost::Message;
    use proto::exposurenotification::TemporaryExposureKey;
    let today = i32::try_from(api::clock::now() / 86_400 * 144).unwrap();
    let keys = (0..14)
        .map(|day| {
            let data = shared::random::bytes::<16>().to_vec();
            TemporaryExposureKey {
                key_data: Some(data.into()),
                transmission_risk_level: Some(5),
                rolling_start_interval_number: Some(today - day * 144),
                rolling_period: Some(144),
                report_type: None,
                days_since_onset_of_symptoms: None,
            }
        })
        .collect();
    proto::submission::SubmissionPayload {
        keys,
        request_padding: vec![0u8; 100].into(),
        visited_countries: vec![],
        origin: "DE".into(),
        consent_to_federation: false,
        submission_type: 0,
    }
    .encode_to_vec()
}

#[tokio::test]
async fn a_fake_and_a_real_submission_leave_the_same_public_traces() {
    let data_dir = tempfile::tempdir().unwrap();
    let storage = api::config::StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = api::config::ServerConfig::new("127.0.0.1:0".parse().unwrap(), storage);
    config.internal_listen = Some("127.0.0.1:0".parse().unwrap());
    config.service_token = Some(
        "privacy-test-service-token-0123456789"
            .parse()
            .expect("a long token"),
    );
    let app = crate::app::TestApp {
        server: TestServer::start_in(config, data_dir).await,
        client: reqwest::Client::new(),
    };
    let base = app.server.base.clone();
    let tan = app.new_tan().await;
    let before = public_observables(&base).await;
    assert_eq!(before[0].0, 404, "/metrics is public: {}", before[0].1);

    let real = app
        .submit_raw(
            Some(&tan),
            false,
            "application/x-protobuf",
            submission_payload(),
        )
        .await;
    let after_real = public_observables(&base).await;
    let fake_tan = shared::verification::Uuid4::generate();
    let fake = app
        .submit_raw(
            Some(fake_tan.expose()),
            true,
            "application/x-protobuf",
            submission_payload(),
        )
        .await;
    let after_fake = public_observables(&base).await;

    assert_eq!(
        real.0,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&real.2)
    );
    assert_eq!(fake.0, real.0);
    assert_eq!(fake.1, real.1, "the same header names");
    assert_eq!(fake.2.len(), real.2.len(), "the same body size");
    assert_eq!(
        after_real, before,
        "a real submission changed a public answer"
    );
    assert_eq!(
        after_fake, before,
        "a fake submission changed a public answer"
    );
    // The operator still counts real submissions, on the internal listener.
    let internal = app.server.internal.clone().unwrap();
    let metrics = reqwest::get(format!("{internal}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("warn_submissions_total"), "{metrics}");
    app.server.stop().await;
}
