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
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
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
