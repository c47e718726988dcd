//! The verification and test result services over HTTP, on SQLite and on
//! PostgreSQL: every success path and every error path of SPEC sections 2 and 3.

use axum::response::IntoResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::verification::{HashedGuid, TeleTan};

use crate::app::{TestApp, assert_error, new_guid};

on_both_databases!(
    guid_flow_from_registration_to_tan,
    guid_can_be_registered_only_once,
    malformed_keys_are_refused,
    teletan_flow_is_positive_and_single_use,
    teletan_errors_say_what_is_wrong,
    expired_teletan_is_refused,
    unknown_registration_token_is_refused,
    tan_needs_a_positive_result_and_respects_the_quota,
    lab_upload_needs_a_valid_key,
    lab_upload_validates_every_result,
    redeemed_result_never_changes,
    bad_bodies_get_one_error_shape_and_change_nothing,
    fake_requests_look_like_real_ones_and_store_nothing,
    concurrent_registrations_of_one_guid_yield_one_token,
    concurrent_uses_of_one_teletan_yield_one_token,
    cleanup_deletes_and_redeems_on_schedule,
    teletan_rate_limits_say_when_to_retry,
    dob_registration_gets_the_result_only_for_a_matching_pair,
    malformed_or_reused_dob_ids_are_refused,
    lab_results_belong_to_the_lab_that_stored_them,
    lab_key_is_checked_before_the_body_is_read,
);

async fn guid_flow_from_registration_to_tan(app: &TestApp) {
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    assert!(shared::verification::Uuid4::parse(&token).is_ok());

    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 0}))
    );

    let lab_key = app.add_lab("Labor Berlin").await;
    let upload = app
        .upload(&lab_key, json!({"labId": "berlin", "testResults": [{"id": guid.expose(), "result": 2, "sc": 1_764_288_000}]}))
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);

    assert_eq!(
        app.poll(&token).await,
        (
            StatusCode::OK,
            json!({"testResult": 2, "sc": 1_764_288_000})
        )
    );
    let (status, body) = app.tan(&token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(shared::verification::Uuid4::parse(body["tan"].as_str().unwrap()).is_ok());
}

async fn guid_can_be_registered_only_once(app: &TestApp) {
    let (_, guid) = new_guid();
    app.register_guid(&guid).await;
    assert_error(
        &app.register(guid.expose(), "GUID").await,
        StatusCode::BAD_REQUEST,
        "guid_already_registered",
    );
    // Upper-case hex is the same GUID.
    assert_error(
        &app.register(&guid.expose().to_uppercase(), "GUID").await,
        StatusCode::BAD_REQUEST,
        "guid_already_registered",
    );
    assert_eq!(app.count("registrations").await, 1);
}

async fn malformed_keys_are_refused(app: &TestApp) {
    assert_error(
        &app.register("not-a-hash", "GUID").await,
        StatusCode::BAD_REQUEST,
        "invalid_guid",
    );
    assert_error(
        &app.register(&"z".repeat(64), "GUID").await,
        StatusCode::BAD_REQUEST,
        "invalid_guid",
    );
    let (status, _) = app.register("ABC", "PASSWORD").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("registrations").await, 0);
}

async fn teletan_flow_is_positive_and_single_use(app: &TestApp) {
    let teletan = app.issue_teletan().await;
    let (status, body) = app.register(&teletan.grouped(), "TELETAN").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["registrationToken"].as_str().unwrap().to_owned();
    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 2}))
    );
    let (status, body) = app.tan(&token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    assert_error(
        &app.register(teletan.expose(), "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "teletan_unknown",
    );
    assert_eq!(app.count("registrations").await, 1);
}

async fn teletan_errors_say_what_is_wrong(app: &TestApp) {
    assert_error(
        &app.register("ABCDEFGH", "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "invalid_teletan",
    );
    assert_error(
        &app.register("0BCDEFGHJK", "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "invalid_teletan",
    );
    // A valid-looking teleTAN with the wrong check character.
    let teletan = TeleTan::generate();
    let text = teletan.expose();
    let last = text.chars().last().unwrap();
    let wrong = if last == 'G' { 'H' } else { 'G' };
    let mistyped = format!("{}{wrong}", &text[..9]);
    assert_error(
        &app.register(&mistyped, "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "teletan_check_character",
    );
    // Well-formed but never issued.
    assert_error(
        &app.register(teletan.expose(), "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "teletan_unknown",
    );
}

async fn expired_teletan_is_refused(app: &TestApp) {
    let teletan = app.issue_teletan().await;
    sqlx::query("UPDATE teletans SET expires_at = $1 WHERE hash = $2")
        .bind(api::clock::now() - 1)
        .bind(app.server.db.hash(&teletan).to_hex())
        .execute(app.server.db.pool())
        .await
        .unwrap();
    assert_error(
        &app.register(teletan.expose(), "TELETAN").await,
        StatusCode::BAD_REQUEST,
        "teletan_unknown",
    );
}

async fn unknown_registration_token_is_refused(app: &TestApp) {
    let stranger = shared::verification::Uuid4::generate();
    assert_error(
        &app.poll(stranger.expose()).await,
        StatusCode::BAD_REQUEST,
        "unknown_registration_token",
    );
    assert_error(
        &app.tan(stranger.expose()).await,
        StatusCode::BAD_REQUEST,
        "unknown_registration_token",
    );
    assert_error(
        &app.poll("not-a-token").await,
        StatusCode::BAD_REQUEST,
        "unknown_registration_token",
    );
}

async fn tan_needs_a_positive_result_and_respects_the_quota(app: &TestApp) {
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    assert_error(
        &app.tan(&token).await,
        StatusCode::BAD_REQUEST,
        "test_result_not_positive",
    );

    let lab = app.add_lab("Quota Lab").await;
    let negative = app
        .upload(
            &lab,
            json!({"testResults": [{"id": guid.expose(), "result": 1}]}),
        )
        .await;
    assert_eq!(negative.0, StatusCode::NO_CONTENT);
    assert_error(
        &app.tan(&token).await,
        StatusCode::BAD_REQUEST,
        "test_result_not_positive",
    );

    let positive = app
        .upload(
            &lab,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await;
    assert_eq!(positive.0, StatusCode::NO_CONTENT);
    assert_eq!(app.tan(&token).await.0, StatusCode::CREATED);
    assert_eq!(app.tan(&token).await.0, StatusCode::CREATED);
    assert_error(
        &app.tan(&token).await,
        StatusCode::BAD_REQUEST,
        "tan_quota_exhausted",
    );
    assert_eq!(app.count("tans").await, 2);
}

async fn lab_upload_needs_a_valid_key(app: &TestApp) {
    let (_, guid) = new_guid();
    let body = json!({"testResults": [{"id": guid.expose(), "result": 2}]});
    assert_error(
        &app.upload("warnlab_wrong", body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let response = app
        .client
        .post(format!("{}/api/v1/lab/results", app.server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("test_results").await, 0);
}

async fn lab_upload_validates_every_result(app: &TestApp) {
    let lab = app.add_lab("Strict Lab").await;
    let (_, good) = new_guid();
    let cases = [
        (json!({"testResults": []}), "batch_size"),
        (
            json!({"testResults": [{"id": good.expose(), "result": 2}, {"id": "short", "result": 2}]}),
            "invalid_id",
        ),
        (
            json!({"testResults": [{"id": good.expose(), "result": 0}]}),
            "invalid_result",
        ),
        (
            json!({"testResults": [{"id": good.expose(), "result": 4}]}),
            "invalid_result",
        ),
        (
            json!({"testResults": [{"id": good.expose(), "result": 2, "sc": -5}]}),
            "invalid_sample_time",
        ),
    ];
    for (body, code) in cases {
        assert_error(&app.upload(&lab, body).await, StatusCode::BAD_REQUEST, code);
    }
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"id": new_guid().1.expose(), "result": 1}))
        .collect();
    assert_error(
        &app.upload(&lab, json!({"testResults": too_many})).await,
        StatusCode::BAD_REQUEST,
        "batch_size",
    );
    assert_eq!(
        app.count("test_results").await,
        0,
        "a refused batch stores nothing"
    );

    let full: Vec<Value> = (0..1000)
        .map(|_| json!({"id": new_guid().1.expose(), "result": 1}))
        .collect();
    assert_eq!(
        app.upload(&lab, json!({"testResults": full})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.count("test_results").await, 1000);
}

async fn redeemed_result_never_changes(app: &TestApp) {
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    let lab = app.add_lab("Late Lab").await;
    app.upload(
        &lab,
        json!({"testResults": [{"id": guid.expose(), "result": 1}]}),
    )
    .await;
    sqlx::query("UPDATE test_results SET result = 4 WHERE id_hash = $1")
        .bind(app.server.db.hash(&guid).to_hex())
        .execute(app.server.db.pool())
        .await
        .unwrap();
    let upload = app
        .upload(
            &lab,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT);
    assert_eq!(app.poll(&token).await.1["testResult"], 4);
}

async fn bad_bodies_get_one_error_shape_and_change_nothing(app: &TestApp) {
    let url = format!("{}/version/v1/registrationToken", app.server.base);
    let (_, guid) = new_guid();
    let valid = json!({"key": guid.expose(), "keyType": "GUID"}).to_string();

    let wrong_type = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(valid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = wrong_type.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_media_type");

    let huge = format!(
        "{{\"key\": \"{}\", \"keyType\": \"GUID\"}}",
        "a".repeat(10_001)
    );
    let too_large = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        too_large.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );

    let malformed = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"key\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.json::<Value>().await.unwrap()["error"],
        "malformed_json"
    );

    assert_eq!(app.count("registrations").await, 0);
    assert_eq!(app.count("test_results").await, 0);
}

async fn fake_requests_look_like_real_ones_and_store_nothing(app: &TestApp) {
    let lab = app.add_lab("Fake Lab").await;
    let (_, guid) = new_guid();
    let registration = json!({"key": guid.expose(), "keyType": "GUID"});
    let real = app
        .shape("/version/v1/registrationToken", &registration, false)
        .await;
    let (_, other) = new_guid();
    let fake_body = json!({"key": other.expose(), "keyType": "GUID"});
    let fake = app
        .shape("/version/v1/registrationToken", &fake_body, true)
        .await;
    assert_eq!(real, fake, "registrationToken");
    assert_eq!(real.0, StatusCode::CREATED);
    assert_eq!(
        app.count("registrations").await,
        1,
        "the fake registered nothing"
    );
    assert_eq!(app.count("test_results").await, 1);

    // A token for the real flow.
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    app.upload(
        &lab,
        json!({"testResults": [{"id": guid.expose(), "result": 2, "sc": 1_764_288_000}]}),
    )
    .await;
    let body = json!({"registrationToken": token});
    let real = app.shape("/version/v1/testresult", &body, false).await;
    let fake = app.shape("/version/v1/testresult", &body, true).await;
    assert_eq!(real, fake, "testresult");

    let tans_before = app.count("tans").await;
    let fake = app.shape("/version/v1/tan", &body, true).await;
    assert_eq!(
        app.count("tans").await,
        tans_before,
        "the fake issued no TAN"
    );
    let real = app.shape("/version/v1/tan", &body, false).await;
    assert_eq!(real, fake, "tan");
    assert_eq!(real.0, StatusCode::CREATED);

    // A fake with garbage is answered like a success: nothing is parsed.
    let garbage = app
        .client
        .post(format!("{}/version/v1/tan", app.server.base))
        .header("cwa-fake", "1")
        .header("content-type", "application/json")
        .body("not json at all")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::CREATED);
}

/// Sends the same registration 200 times at once; returns how many succeeded.
async fn register_concurrently(app: &TestApp, key: &str, key_type: &str) -> usize {
    let attempts = (0..200).map(|_| app.register(key, key_type));
    let results = futures_util::future::join_all(attempts).await;
    for (status, body) in &results {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::BAD_REQUEST,
            "{status}: {body}"
        );
    }
    results
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count()
}

async fn concurrent_registrations_of_one_guid_yield_one_token(app: &TestApp) {
    let (_, guid) = new_guid();
    assert_eq!(register_concurrently(app, guid.expose(), "GUID").await, 1);
    assert_eq!(app.count("registrations").await, 1);
}

async fn concurrent_uses_of_one_teletan_yield_one_token(app: &TestApp) {
    let teletan = app.issue_teletan().await;
    assert_eq!(
        register_concurrently(app, teletan.expose(), "TELETAN").await,
        1
    );
    assert_eq!(app.count("registrations").await, 1);
}

async fn cleanup_deletes_and_redeems_on_schedule(app: &TestApp) {
    use api::cleanup::{CleanupReport, run_once};
    use api::config::PortalConfig;
    let now = api::clock::now();
    let day = 24 * 3600;
    let lab = app.add_lab("Old Lab").await;
    let (_, fresh) = new_guid();
    let (_, old) = new_guid();
    let (_, ancient) = new_guid();
    for guid in [&fresh, &old, &ancient] {
        app.register_guid(guid).await;
        app.upload(
            &lab,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await;
    }
    let age = |guid: &HashedGuid, days: i64| {
        let hash = app.server.db.hash(guid).to_hex();
        async move {
            sqlx::query("UPDATE test_results SET created_at = $1 WHERE id_hash = $2")
                .bind(now - days * day)
                .bind(&hash)
                .execute(app.server.db.pool())
                .await
                .unwrap();
            sqlx::query("UPDATE registrations SET created_at = $1 WHERE guid_hash = $2")
                .bind(now - days * day)
                .bind(&hash)
                .execute(app.server.db.pool())
                .await
                .unwrap();
        }
    };
    age(&old, 22).await;
    age(&ancient, 61).await;
    app.issue_teletan().await;
    sqlx::query("UPDATE teletans SET created_at = $1")
        .bind(now - 22 * day)
        .execute(app.server.db.pool())
        .await
        .unwrap();

    let report = run_once(&app.server.db, &PortalConfig::default(), now)
        .await
        .unwrap();
    assert_eq!(
        report,
        CleanupReport {
            registrations: 2,
            teletans: 1,
            rate_limits: 0,
            tans: 0,
            results_redeemed: 2,
            results_deleted: 1,
            sessions: 0,
        }
    );
    assert_eq!(app.count("registrations").await, 1);
    assert_eq!(app.count("test_results").await, 2);
    let again = run_once(&app.server.db, &PortalConfig::default(), now)
        .await
        .unwrap();
    assert_eq!(
        again,
        CleanupReport::default(),
        "a second run finds nothing"
    );
}

async fn teletan_rate_limits_say_when_to_retry(app: &TestApp) {
    use api::verification::VerificationConfig;
    use api::verification::teletan::{IssueError, issue};
    let config = VerificationConfig {
        teletan_global_per_hour: 3,
        teletan_user_interval: 30,
        ..VerificationConfig::default()
    };
    let now = api::clock::now();
    let hour_start = now - now % 3600; // the current whole hour
    let db = &app.server.db;
    issue(db, &config, "anna", hour_start + 10).await.unwrap();
    match issue(db, &config, "anna", hour_start + 25).await {
        Err(IssueError::RateLimited {
            limit: "per-user",
            retry_after: 15,
        }) => {}
        other => panic!("expected the per-user limit, got {other:?}"),
    }
    issue(db, &config, "anna", hour_start + 40).await.unwrap();
    issue(db, &config, "ben", hour_start + 41).await.unwrap();
    match issue(db, &config, "carla", hour_start + 600).await {
        Err(IssueError::RateLimited {
            limit: "global",
            retry_after: 3000,
        }) => {}
        other => panic!("expected the global limit, got {other:?}"),
    }
    assert_eq!(
        app.count("teletans").await,
        3,
        "refused attempts store nothing"
    );
    // The next hour has room again; the refused attempt took nothing from carla.
    issue(db, &config, "carla", hour_start + 3600)
        .await
        .unwrap();

    let response: axum::response::Response = api::error::AppError::from(IssueError::RateLimited {
        limit: "global",
        retry_after: 42,
    })
    .into_response();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "42");
}

/// A test's GUID and the two ids a phone with the date of birth registers.
fn dob_test(dob: &str) -> (shared::verification::TestGuid, HashedGuid, String) {
    let (guid, hashed) = new_guid();
    let guid = shared::verification::TestGuid::parse(&guid).unwrap();
    let dob = shared::verification::DateOfBirth::parse(dob).unwrap();
    let dob_id = guid.dob_id(dob).expose().to_owned();
    (guid, hashed, dob_id)
}

async fn dob_registration_gets_the_result_only_for_a_matching_pair(app: &TestApp) {
    let lab = app.add_lab("Labor DOB").await;
    let (_, hashed, dob_id) = dob_test("1990-05-17");

    // As iOS sends it (`keyDob`), padded.
    let (status, body) = app
        .post(
            "/version/v1/registrationToken",
            json!({"key": hashed.expose(), "keyType": "GUID", "keyDob": dob_id, "requestPadding": "00000"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["registrationToken"].as_str().unwrap().to_owned();
    // Nothing reported yet: both ids are pending, so they match.
    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 0}))
    );

    // The lab reports under the GUID only: the pair does not match.
    let upload = app
        .upload(
            &lab,
            json!({"testResults": [{"id": hashed.expose(), "result": 2}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);
    assert_error(&app.poll(&token).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(&app.tan(&token).await, StatusCode::FORBIDDEN, "forbidden");

    // Under both ids (the date-of-birth id as labs may write it, upper-case X).
    let upper = format!("X{}", &dob_id[1..]);
    let upload = app
        .upload(
            &lab,
            json!({"testResults": [{"id": upper, "result": 2, "sc": 1_764_288_000}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);
    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 2}))
    );
    let (status, body) = app.tan(&token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // A phone with a wrong date of birth, as the last Android releases send
    // it (`dateOfBirthKey`), never sees the result the lab reported.
    let (other, other_hashed, right_id) = dob_test("1985-01-02");
    let wrong_id = other
        .dob_id(shared::verification::DateOfBirth::parse("1985-02-01").unwrap())
        .expose()
        .to_owned();
    let (status, body) = app
        .post(
            "/version/v1/registrationToken",
            json!({"keyType": "GUID", "key": other_hashed.expose(), "dateOfBirthKey": wrong_id, "requestPadding": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let wrong_token = body["registrationToken"].as_str().unwrap().to_owned();
    let upload = app
        .upload(
            &lab,
            json!({"testResults": [{"id": other_hashed.expose(), "result": 1}, {"id": right_id, "result": 1}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);
    assert_error(
        &app.poll(&wrong_token).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Without a date of birth the GUID alone gives the result, as before.
    let (_, plain) = new_guid();
    let plain_token = app.register_guid(&plain).await;
    app.upload(
        &lab,
        json!({"testResults": [{"id": plain.expose(), "result": 1}]}),
    )
    .await;
    assert_eq!(
        app.poll(&plain_token).await,
        (StatusCode::OK, json!({"testResult": 1}))
    );
}

async fn malformed_or_reused_dob_ids_are_refused(app: &TestApp) {
    let (_, hashed, dob_id) = dob_test("2000-01-01");
    let register = |key: String, dob: Value| {
        app.post(
            "/version/v1/registrationToken",
            json!({"key": key, "keyType": "GUID", "keyDob": dob}),
        )
    };
    for bad in [
        json!(format!("y{}", &dob_id[1..])),
        json!(&dob_id[..63]),
        json!(format!("{dob_id}0")),
        json!(hashed.expose()),
        json!(7),
    ] {
        let response = register(hashed.expose().to_owned(), bad.clone()).await;
        assert_eq!(response.0, StatusCode::BAD_REQUEST, "{bad}: {}", response.1);
    }
    assert_eq!(app.count("registrations").await, 0, "nothing stored");

    let first = register(hashed.expose().to_owned(), json!(dob_id)).await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    // The GUID again, with or without a date of birth; the date-of-birth id
    // with another GUID; the date-of-birth id as a GUID: all refused, as
    // cwa-verification-server refuses them.
    let (_, other) = new_guid();
    let (_, _, other_dob) = dob_test("2000-01-01");
    for (key, dob) in [
        (hashed.expose().to_owned(), json!(other_dob)),
        (hashed.expose().to_owned(), Value::Null),
        (other.expose().to_owned(), json!(dob_id)),
    ] {
        assert_error(
            &register(key, dob).await,
            StatusCode::BAD_REQUEST,
            "guid_already_registered",
        );
    }
    // A date-of-birth id is not a GUID key (key is 64 hex digits).
    assert_error(
        &app.register(&dob_id, "GUID").await,
        StatusCode::BAD_REQUEST,
        "invalid_guid",
    );
    assert_eq!(app.count("registrations").await, 1);
}

async fn lab_results_belong_to_the_lab_that_stored_them(app: &TestApp) {
    let owner = app.add_lab("Labor Eins").await;
    let intruder = app.add_lab("Labor Zwei").await;
    let (_, guid) = new_guid();
    let token = app.register_guid(&guid).await;
    let upload = app
        .upload(
            &owner,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);

    // Another lab cannot change it, and nothing of its upload is stored.
    let (_, fresh) = new_guid();
    let before = app.count("test_results").await;
    let refused = app
        .upload(
            &intruder,
            json!({"testResults": [{"id": fresh.expose(), "result": 1}, {"id": guid.expose(), "result": 1}]}),
        )
        .await;
    assert_error(&refused, StatusCode::BAD_REQUEST, "result_of_another_lab");
    assert!(
        refused.1["message"].as_str().unwrap().contains("result 1"),
        "{}",
        refused.1
    );
    assert_eq!(app.count("test_results").await, before, "all or nothing");
    // The same result again from the other lab is refused too: it would
    // take the result over.
    assert_error(
        &app.upload(
            &intruder,
            json!({"testResults": [{"id": guid.expose(), "result": 2}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "result_of_another_lab",
    );
    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 2}))
    );

    // The owner may correct its own result.
    let corrected = app
        .upload(
            &owner,
            json!({"testResults": [{"id": guid.expose(), "result": 3}]}),
        )
        .await;
    assert_eq!(corrected.0, StatusCode::NO_CONTENT, "{}", corrected.1);
    assert_eq!(
        app.poll(&token).await,
        (StatusCode::OK, json!({"testResult": 3}))
    );
}

async fn lab_key_is_checked_before_the_body_is_read(app: &TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.server.base.trim_start_matches("http://").to_owned();
    // Headers announcing 150,000 bytes, then only a few: the answer comes
    // without waiting for the rest, so the body was never read.
    for authorization in ["", "Authorization: Bearer warnlab_wrong\r\n"] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST /api/v1/lab/results HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{authorization}Content-Length: 150000\r\n\r\n{{\"testResults\": ["
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 1024];
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
                .await
                .expect("answered before the body was complete")
                .unwrap();
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
    // Malformed and oversized bodies without a valid key: 401, not 400 or 413.
    for body in ["{not json".to_owned(), "x".repeat(300_000)] {
        let response = app
            .client
            .post(format!("{}/api/v1/lab/results", app.server.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "unauthorized");
    }
}
