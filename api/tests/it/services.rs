//! Services as separate processes: the internal listener, its token, and the
//! verification service reaching the test result service over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::verification::{HashedGuid, Uuid4};

use api::config::{ServerConfig, StorageConfig};

use crate::support::TestServer;

const TOKEN: &str = "a-service-token-of-at-least-32-characters";

fn config(data_dir: &tempfile::TempDir, services: &str) -> ServerConfig {
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        StorageConfig {
            data_dir: data_dir.path().join("data"),
            database_url: None,
            hash_key_file: None,
        },
    );
    config.services = services.parse().unwrap();
    config.internal_listen = Some("127.0.0.1:0".parse().unwrap());
    config.service_token = Some(TOKEN.parse().expect("a long token"));
    config
}

async fn post(url: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let mut body: Value = response.json().await.unwrap_or(Value::Null);
    if let Some(object) = body.as_object_mut() {
        object.remove("responsePadding");
    }
    (status, body)
}

#[tokio::test]
async fn verification_reads_results_from_a_separate_test_result_process() {
    // Both processes share one database folder, as they would share PostgreSQL.
    let shared_dir = tempfile::tempdir().unwrap();
    let results_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let results = TestServer::start_in(config(&shared_dir, "testresult"), results_dir).await;
    let results_internal = results.internal.clone().expect("an internal listener");

    let mut verification_config = config(&shared_dir, "verification");
    verification_config.testresult_url = Some(results_internal.clone());
    let verification_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let verification = TestServer::start_in(verification_config, verification_dir).await;

    // Each public listener serves only its own service.
    let guid = HashedGuid::from_guid("SEPARATE-PROCESS-GUID");
    let (status, _) = post(
        &format!("{}/version/v1/registrationToken", results.base),
        json!({"key": guid.expose(), "keyType": "GUID"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = post(
        &format!("{}/version/v1/registrationToken", verification.base),
        json!({"key": guid.expose(), "keyType": "GUID"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["registrationToken"].as_str().unwrap().to_owned();

    let lab = api::testresult::labs::add(&results.db, "Remote Lab", api::clock::now())
        .await
        .unwrap();
    let (status, _) = post(
        &format!("{}/api/v1/lab/results", results.base),
        json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        Some(&lab),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = post(
        &format!("{}/version/v1/testresult", verification.base),
        json!({"registrationToken": token}),
        None,
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"testResult": 2})));

    // The internal listener answers only with the token.
    let app_result = format!("{results_internal}/api/v1/app/result");
    let id = json!({"id": results.db.hash(&guid).to_hex()});
    assert_eq!(
        post(&app_result, id.clone(), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(
            &app_result,
            id.clone(),
            Some("wrong-token-wrong-token-wrong-token")
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = post(&app_result, id, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["testResult"], 2);
    assert_eq!(body["labId"], "Remote Lab");

    // A TAN obtained publicly is burned exactly once on the internal listener.
    let (status, body) = post(
        &format!("{}/version/v1/tan", verification.base),
        json!({"registrationToken": token}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let tan = body["tan"].as_str().unwrap().to_owned();
    let verify = format!(
        "{}/version/v1/tan/verify",
        verification.internal.clone().unwrap()
    );
    assert_eq!(
        post(&verify, json!({"tan": tan}), Some(TOKEN)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        post(&verify, json!({"tan": tan}), Some(TOKEN)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(
            &verify,
            json!({"tan": Uuid4::generate().expose()}),
            Some(TOKEN)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // The internal paths are not on the public listener.
    assert_eq!(
        post(
            &format!("{}/version/v1/tan/verify", verification.base),
            json!({"tan": tan}),
            Some(TOKEN)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // teleTANs are issued on the internal listener, rate limited per user.
    let teletan_url = format!(
        "{}/version/v1/tan/teletan",
        verification.internal.clone().unwrap()
    );
    let (status, body) = post(&teletan_url, json!({"issuer": "agent-1"}), Some(TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(shared::verification::TeleTan::parse(body["value"].as_str().unwrap()).is_ok());
    let limited = reqwest::Client::new()
        .post(&teletan_url)
        .bearer_auth(TOKEN)
        .json(&json!({"issuer": "agent-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");

    verification.stop().await;
    results.stop().await;
}

#[tokio::test]
async fn configuration_mistakes_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut no_token = config(&dir, "all");
    no_token.service_token = None;
    let error = api::server::Application::build(no_token)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("--service-token"), "{error}");

    // A short token is refused where it is read: it cannot reach the server.
    let error = "short"
        .parse::<api::config::ServiceToken>()
        .expect_err("refused");
    assert!(error.contains("32 characters"), "{error}");

    let alone = config(&dir, "verification");
    let error = api::server::Application::build(alone)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("--testresult-url"), "{error}");

    assert!(
        "verification,nonsense"
            .parse::<api::config::Services>()
            .is_err()
    );
}

#[tokio::test]
async fn the_server_cleans_up_in_the_background() {
    use sqlx::Row;
    let dir = tempfile::tempdir().unwrap();
    let storage = StorageConfig {
        data_dir: dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let db = api::db::Db::connect(&storage.data_dir, None).await.unwrap();
    db.migrate().await.unwrap();
    sqlx::query("INSERT INTO teletans (hash, created_at, expires_at) VALUES ('old', $1, $1)")
        .bind(api::clock::now() - 30 * 24 * 3600)
        .execute(db.pool())
        .await
        .unwrap();

    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), storage);
    assert!(config.cleanup_interval.is_some(), "on by default");
    let app = api::server::Application::build(config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let mut remaining = 1;
    for _ in 0..100 {
        remaining = sqlx::query("SELECT COUNT(*) AS n FROM teletans")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap();
        if remaining == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    db.close().await;
    assert_eq!(remaining, 0, "the first clean-up runs at start");
}

#[tokio::test]
async fn submission_burns_tans_at_a_separate_verification_process() {
    use prost::Message;
    let shared_dir = tempfile::tempdir().unwrap();
    let verification_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let verification = TestServer::start_in(
        config(&shared_dir, "verification,testresult"),
        verification_dir,
    )
    .await;
    let mut submission_config = config(&shared_dir, "submission");
    submission_config.verification_url = verification.internal.clone();
    let submission_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let submission = TestServer::start_in(submission_config, submission_dir).await;

    // A TAN from the verification process's public routes.
    let teletan = api::verification::teletan::issue(
        &verification.db,
        &api::verification::VerificationConfig::default(),
        "agent-remote",
        api::clock::now(),
    )
    .await
    .unwrap();
    let (status, body) = post(
        &format!("{}/version/v1/registrationToken", verification.base),
        json!({"key": teletan.expose(), "keyType": "TELETAN"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post(
        &format!("{}/version/v1/tan", verification.base),
        json!({"registrationToken": body["registrationToken"]}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let tan = body["tan"].as_str().unwrap().to_owned();

    let today = i32::try_from(api::clock::now() / 86_400 * 144).unwrap();
    let payload = proto::submission::SubmissionPayload {
        keys: vec![proto::exposurenotification::TemporaryExposureKey {
            key_data: Some(vec![9u8; 16].into()),
            transmission_risk_level: Some(6),
            rolling_start_interval_number: Some(today - 144),
            rolling_period: Some(144),
            report_type: None,
            days_since_onset_of_symptoms: None,
        }],
        request_padding: vec![0u8; 64].into(),
        visited_countries: vec![],
        origin: "DE".into(),
        consent_to_federation: false,
        submission_type: 0,
    }
    .encode_to_vec();
    let submit = |tan: String| {
        let url = format!("{}/version/v1/diagnosis-keys", submission.base);
        let body = payload.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/x-protobuf")
                .header("cwa-fake", "0")
                .header("cwa-authorization", tan)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The submission process has no verification routes of its own.
    let (status, _) = post(
        &format!("{}/version/v1/tan", submission.base),
        json!({"registrationToken": Uuid4::generate().expose()}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The TAN is burned over HTTP once: the second use is refused.
    assert_eq!(submit(tan.clone()).await, StatusCode::OK);
    assert_eq!(submit(tan.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(
        submit(Uuid4::generate().expose().to_owned()).await,
        StatusCode::FORBIDDEN
    );
    use sqlx::Row;
    let stored: i64 = sqlx::query("SELECT COUNT(*) AS n FROM diagnosis_keys")
        .fetch_one(submission.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(stored, 1);

    // With the verification service gone, a submission fails without storing.
    verification.stop().await;
    let status = submit(Uuid4::generate().expose().to_owned()).await;
    assert!(status.is_server_error(), "{status}");
    submission.stop().await;
}

/// A stand-in for the test result service's internal listener that fails
/// (503) until `up` is set, then answers every id as pending.
async fn flaky_test_result_service(up: std::sync::Arc<std::sync::atomic::AtomicBool>) -> String {
    use axum::routing::post;
    use std::sync::atomic::Ordering;
    let app = axum::Router::new().route(
        "/api/v1/app/result",
        post(move || {
            let up = up.load(Ordering::SeqCst);
            async move {
                if up {
                    (StatusCode::OK, axum::Json(json!({"testResult": 0})))
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

async fn registrations(server: &TestServer) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM registrations")
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

#[tokio::test]
async fn registration_does_not_spend_the_guid_when_the_test_result_service_fails() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let up = std::sync::Arc::new(AtomicBool::new(false));
    let flaky = flaky_test_result_service(up.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut verification_config = config(&dir, "verification");
    verification_config.testresult_url = Some(flaky);
    let verification = TestServer::start_in(verification_config, dir).await;
    let register = |key: String, dob: Option<String>| {
        let url = format!("{}/version/v1/registrationToken", verification.base);
        async move {
            let mut body = json!({"key": key, "keyType": "GUID"});
            if let Some(dob) = dob {
                body["keyDob"] = json!(dob);
            }
            post(&url, body, None).await
        }
    };
    let guid = shared::verification::TestGuid::parse("FLAKY-SERVICE-GUID").unwrap();
    let dob = guid.dob_id(shared::verification::DateOfBirth::parse("1970-01-01").unwrap());

    // The test result service answers 503: the registration fails and
    // stores nothing.
    let (status, body) = register(guid.hashed().expose().to_owned(), None).await;
    assert!(status.is_server_error(), "{status} {body}");
    assert_eq!(registrations(&verification).await, 0);
    let (status, _) = register(
        guid.hashed().expose().to_owned(),
        Some(dob.expose().to_owned()),
    )
    .await;
    assert!(status.is_server_error(), "{status}");
    assert_eq!(registrations(&verification).await, 0);

    // Once it answers, the same GUID registers: it was not spent.
    up.store(true, Ordering::SeqCst);
    let (status, body) = register(
        guid.hashed().expose().to_owned(),
        Some(dob.expose().to_owned()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(registrations(&verification).await, 1);
    verification.stop().await;
}

#[tokio::test]
async fn registration_does_not_spend_the_guid_when_the_test_result_service_is_stopped() {
    // A separate test result process, stopped before the phone registers.
    let shared_dir = tempfile::tempdir().unwrap();
    let results_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let results = TestServer::start_in(config(&shared_dir, "testresult"), results_dir).await;
    let mut verification_config = config(&shared_dir, "verification");
    verification_config.testresult_url = results.internal.clone();
    let verification_dir = tempfile::TempDir::new_in(shared_dir.path()).unwrap();
    let verification = TestServer::start_in(verification_config, verification_dir).await;
    results.stop().await;

    let guid = HashedGuid::from_guid("STOPPED-SERVICE-GUID");
    let (status, body) = post(
        &format!("{}/version/v1/registrationToken", verification.base),
        json!({"key": guid.expose(), "keyType": "GUID"}),
        None,
    )
    .await;
    assert!(status.is_server_error(), "{status} {body}");
    assert_eq!(body["error"], "internal");
    assert_eq!(
        registrations(&verification).await,
        0,
        "the GUID is not spent"
    );
    verification.stop().await;
}
