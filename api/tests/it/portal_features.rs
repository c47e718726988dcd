//! The portal's lab upload, teleTAN batches, lab API keys, statistics, the
//! clean-up of expired sessions and the portal files' security headers.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::portal::Role;

use crate::app::{TestApp, new_guid};
use crate::portal_client::logged_in;

fn today(app_now: i64) -> i64 {
    app_now - app_now.rem_euclid(86_400)
}

async fn stats_today(app: &TestApp, admin: &crate::portal_client::PortalUser) -> Value {
    let answer = admin
        .send(app, Method::GET, "/api/v1/portal/stats?days=7", None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let days = answer.body.as_array().expect("a list of days").clone();
    assert_eq!(days.len(), 7);
    let last = days.last().expect("today").clone();
    assert_eq!(last["day"], today(api::clock::now()));
    last
}

async fn lab_user_uploads_results_a_phone_sees_them(app: &TestApp) {
    let lab = logged_in(app, Role::Lab).await;
    let (_, positive) = new_guid();
    let (_, negative) = new_guid();
    let token = app.register_guid(&positive).await;
    let (_, before) = app.poll(&token).await;
    assert_eq!(before["testResult"], 0);

    // A malformed result refuses the whole upload and stores nothing.
    let results_before = app.count("test_results").await;
    let bad = lab
        .send(
            app,
            Method::POST,
            "/api/v1/portal/lab/results",
            Some(json!({"testResults": [
                {"id": positive.expose(), "result": 2},
                {"id": "not-a-hash", "result": 1},
            ]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(bad.body["error"], "invalid_id");
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap_or("")
            .contains("result 1")
    );
    assert_eq!(app.count("test_results").await, results_before);
    let empty = lab
        .send(
            app,
            Method::POST,
            "/api/v1/portal/lab/results",
            Some(json!({"testResults": []})),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.body["error"], "batch_size");

    let uploaded = lab
        .send(
            app,
            Method::POST,
            "/api/v1/portal/lab/results",
            Some(json!({"testResults": [
                {"id": positive.expose(), "result": 2, "sc": 1_764_322_200},
                {"id": negative.expose(), "result": 1},
            ]})),
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.body);
    assert_eq!(uploaded.body["stored"], 2);

    let (status, polled) = app.poll(&token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(polled["testResult"], 2);
    assert_eq!(polled["sc"], 1_764_322_200);

    // The portal user is recorded as the lab; the audit log has the count.
    let lab_id: Option<String> =
        sqlx::query_scalar("SELECT lab_id FROM test_results WHERE id_hash = $1")
            .bind(app.server.db.hash(&positive).to_hex())
            .fetch_one(app.server.db.pool())
            .await
            .expect("stored");
    assert_eq!(lab_id.as_deref(), Some(lab.name.as_str()));
    let audit: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT actor, detail, count FROM portal_audit WHERE action = 'lab.results-uploaded'",
    )
    .fetch_all(app.server.db.pool())
    .await
    .expect("audit");
    assert_eq!(audit, vec![(lab.name.clone(), String::new(), 2)]);
}

async fn health_officer_issues_a_batch_that_redeems(app: &TestApp) {
    let officer = logged_in(app, Role::HealthOfficer).await;
    for count in [0, 51] {
        let refused = officer
            .send(
                app,
                Method::POST,
                "/api/v1/portal/teletans/batch",
                Some(json!({"count": count})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "count {count}");
        assert_eq!(refused.body["error"], "batch_size");
    }
    assert_eq!(app.count("teletans").await, 0);

    let batch = officer
        .send(
            app,
            Method::POST,
            "/api/v1/portal/teletans/batch",
            Some(json!({"count": 5})),
        )
        .await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);
    assert_eq!(batch.body["requested"], 5);
    assert!(batch.body.get("retryAfter").is_none());
    let values: Vec<String> = batch.body["teletans"]
        .as_array()
        .expect("teleTANs")
        .iter()
        .map(|item| item["value"].as_str().expect("a value").to_owned())
        .collect();
    assert_eq!(values.len(), 5);
    let mut distinct = values.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5);
    for value in &values {
        let (status, body) = app.register(value, "TELETAN").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // The batch counts as one issue for the per-user interval.
    let again = officer
        .send(
            app,
            Method::POST,
            "/api/v1/portal/teletans/batch",
            Some(json!({"count": 1})),
        )
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=30).contains(&again.retry_after.expect("Retry-After")));

    // Audited with the count, never a teleTAN.
    let audit: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT actor, detail, count FROM portal_audit WHERE action = 'teletan.batch-issued'",
    )
    .fetch_all(app.server.db.pool())
    .await
    .expect("audit");
    assert_eq!(audit, vec![(officer.name.clone(), "5 of 5".to_owned(), 5)]);
    let all_text: Vec<String> =
        sqlx::query_scalar("SELECT actor || action || detail FROM portal_audit")
            .fetch_all(app.server.db.pool())
            .await
            .expect("audit");
    for value in &values {
        assert!(all_text.iter().all(|row| !row.contains(value.as_str())));
    }
}

async fn the_global_limit_cuts_a_batch_short(app: &TestApp) {
    use api::verification::VerificationConfig;
    use api::verification::teletan::{IssueError, issue_batch};
    let config = VerificationConfig {
        teletan_global_per_hour: 3,
        ..VerificationConfig::default()
    };
    let now = api::clock::now();
    let batch = issue_batch(&app.server.db, &config, "officer-a", 5, now)
        .await
        .expect("a partial batch");
    assert_eq!(batch.teletans.len(), 3);
    match batch.cut_short {
        Some(IssueError::RateLimited { limit, retry_after }) => {
            assert_eq!(limit, "global");
            assert!((1..=3600).contains(&retry_after));
        }
        other => panic!("expected the global limit, got {other:?}"),
    }
    assert_eq!(app.count("teletans").await, 3);
    // Nothing left: the next batch is refused and stores nothing, not
    // even the per-user record.
    let refused = issue_batch(&app.server.db, &config, "officer-b", 2, now).await;
    assert!(matches!(
        refused,
        Err(IssueError::RateLimited {
            limit: "global",
            ..
        })
    ));
    assert_eq!(app.count("teletans").await, 3);
    let issuers: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM teletan_issuers WHERE issuer = 'officer-b'")
            .fetch_one(app.server.db.pool())
            .await
            .expect("count");
    assert_eq!(issuers, 0);
}

async fn administrator_manages_lab_api_keys(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let created = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/labs",
            Some(json!({"name": "Labor Süd"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let key = created.body["key"].as_str().expect("the key").to_owned();
    assert!(key.starts_with("warnlab_"));
    let id = created.body["lab"]["id"].as_i64().expect("an id");
    assert_eq!(created.body["lab"]["disabled"], false);

    let duplicate = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/labs",
            Some(json!({"name": "Labor Süd"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(duplicate.body["error"], "lab_exists");
    let unnamed = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/labs",
            Some(json!({"name": "  "})),
        )
        .await;
    assert_eq!(unnamed.body["error"], "invalid_name");

    // The key works on the lab API.
    let (_, guid) = new_guid();
    let body = json!({"testResults": [{"id": guid.expose(), "result": 1}]});
    let (status, _) = app.upload(&key, body.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The list never shows a key.
    let list = admin
        .send(app, Method::GET, "/api/v1/portal/labs", None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    assert!(!list.body.to_string().contains(&key));

    let disabled = admin
        .send(
            app,
            Method::POST,
            &format!("/api/v1/portal/labs/{id}/disable"),
            None,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["disabled"], true);
    let (status, _) = app.upload(&key, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let unknown = admin
        .send(app, Method::POST, "/api/v1/portal/labs/99999/disable", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action || ':' || detail FROM portal_audit WHERE action LIKE 'lab-key.%' ORDER BY id",
    )
    .fetch_all(app.server.db.pool())
    .await
    .expect("audit");
    assert_eq!(
        actions,
        vec!["lab-key.created:Labor Süd", "lab-key.disabled:Labor Süd"]
    );
}

async fn statistics_count_each_event_and_outlive_the_clean_up(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let empty = stats_today(app, &admin).await;
    assert_eq!(empty["teletans"], 0);

    let agent = logged_in(app, Role::Hotline).await;
    let issued = agent
        .send(app, Method::POST, "/api/v1/portal/teletans", None)
        .await;
    let teletan = issued.body["value"].as_str().expect("teleTAN").to_owned();
    app.register(&teletan, "TELETAN").await;
    let (_, guid) = new_guid();
    app.register_guid(&guid).await;
    let lab = app.add_lab("Stats Lab").await;
    let (_, other) = new_guid();
    app.upload(
        &lab,
        json!({"testResults": [
            {"id": guid.expose(), "result": 2},
            {"id": other.expose(), "result": 1},
        ]}),
    )
    .await;
    api::distribution::store::finish_run(
        &app.server.db,
        api::distribution::store::start_run(&app.server.db, api::clock::now())
            .await
            .expect("run"),
        api::clock::now(),
        4,
        10,
    )
    .await
    .expect("run finished");

    let counted = stats_today(app, &admin).await;
    assert_eq!(counted["teletans"], 1, "{counted}");
    assert_eq!(counted["registrations"], 2, "{counted}");
    assert_eq!(counted["positiveResults"], 1, "{counted}");
    assert_eq!(counted["bundlesPublished"], 4, "{counted}");
    assert_eq!(counted["keysSubmitted"], 0, "{counted}");

    // The clean-up deletes the data (here: everything, as of 61 days
    // later); the counts stay.
    // (Sessions last long enough here for the administrator to look again.)
    let later = api::clock::now() + 61 * 86_400;
    let long_sessions = api::config::PortalConfig {
        idle_timeout: std::time::Duration::from_secs(100 * 86_400),
        absolute_timeout: std::time::Duration::from_secs(100 * 86_400),
        ..api::config::PortalConfig::default()
    };
    api::cleanup::run_once(&app.server.db, &long_sessions, later)
        .await
        .expect("clean-up");
    assert_eq!(app.count("registrations").await, 0);
    assert_eq!(app.count("test_results").await, 0);
    assert_eq!(stats_today(app, &admin).await["registrations"], 2);

    for bad in ["days=0", "days=367", "days=many"] {
        let refused = admin
            .send(
                app,
                Method::GET,
                &format!("/api/v1/portal/stats?{bad}"),
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn a_result_counts_once_however_often_it_is_uploaded(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let lab_user = logged_in(app, Role::Lab).await;
    let lab = app.add_lab("Repeat Lab").await;
    let (admin, lab_user) = (&admin, &lab_user);
    let positives = move || async move { stats_today(app, admin).await["positiveResults"].clone() };
    let portal_upload = move |results: Value| async move {
        let answer = lab_user
            .send(
                app,
                Method::POST,
                "/api/v1/portal/lab/results",
                Some(json!({ "testResults": results })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["stored"].clone()
    };
    let (_, first) = new_guid();
    let (_, second) = new_guid();
    let (_, corrected) = new_guid();
    let (_, redeemed) = new_guid();
    let token = app.register_guid(&first).await;

    let upload = app
        .upload(
            &lab,
            json!({"testResults": [{"id": first.expose(), "result": 2, "sc": 1000}]}),
        )
        .await;
    assert_eq!(upload.0, StatusCode::NO_CONTENT, "{}", upload.1);
    assert_eq!(positives().await, 1);

    // The same result again, through the lab API (the portal user is
    // another lab: the result is not theirs), and twice in one upload:
    // stored (the sample time is refreshed), not counted again.
    let again = app
        .upload(
            &lab,
            json!({"testResults": [{"id": first.expose(), "result": 2, "sc": 2000}]}),
        )
        .await;
    assert_eq!(again.0, StatusCode::NO_CONTENT, "{}", again.1);
    assert_eq!(positives().await, 1);
    let (_, polled) = app.poll(&token).await;
    assert_eq!(polled["testResult"], 2, "{polled}");
    assert_eq!(polled["sc"], 2000, "{polled}");
    let stored = portal_upload(json!([
        {"id": second.expose(), "result": 2},
        {"id": second.expose(), "result": 2},
    ]))
    .await;
    assert_eq!(stored, 2);
    assert_eq!(positives().await, 2);

    // A result that turns positive (a lab's correction) counts.
    portal_upload(json!([{"id": corrected.expose(), "result": 1}])).await;
    assert_eq!(positives().await, 2);
    portal_upload(json!([{"id": corrected.expose(), "result": 2}])).await;
    assert_eq!(positives().await, 3);

    // A redeemed result is refused: not stored, not counted.
    portal_upload(json!([{"id": redeemed.expose(), "result": 2}])).await;
    assert_eq!(positives().await, 4);
    let id_hash = app.server.db.hash(&redeemed).to_hex();
    sqlx::query("UPDATE test_results SET result = 4 WHERE id_hash = $1")
        .bind(&id_hash)
        .execute(app.server.db.pool())
        .await
        .expect("redeemed");
    assert_eq!(
        portal_upload(json!([{"id": redeemed.expose(), "result": 2}])).await,
        0
    );
    assert_eq!(positives().await, 4);
    let kept: i64 = sqlx::query_scalar("SELECT result FROM test_results WHERE id_hash = $1")
        .bind(&id_hash)
        .fetch_one(app.server.db.pool())
        .await
        .expect("result");
    assert_eq!(kept, 4);
}

async fn one_result_uploaded_at_once_by_many_counts_once(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let lab = app.add_lab("Racing Lab").await;
    let before = stats_today(app, &admin).await["positiveResults"]
        .as_i64()
        .expect("a count");
    let (_, guid) = new_guid();
    let body = json!({"testResults": [{"id": guid.expose(), "result": 2}]});
    let uploads = (0..8).map(|_| app.upload(&lab, body.clone()));
    for (status, answer) in futures_util::future::join_all(uploads).await {
        assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    }
    assert_eq!(
        stats_today(app, &admin).await["positiveResults"],
        before + 1
    );
}

async fn the_clean_up_deletes_expired_sessions(app: &TestApp) {
    let fresh = logged_in(app, Role::Hotline).await;
    let idle = logged_in(app, Role::Lab).await;
    sqlx::query("UPDATE portal_sessions SET last_seen_at = last_seen_at - 1260 WHERE user_id = $1")
        .bind(idle.id)
        .execute(app.server.db.pool())
        .await
        .expect("update");
    let report = api::cleanup::run_once(
        &app.server.db,
        &api::config::PortalConfig::default(),
        api::clock::now(),
    )
    .await
    .expect("clean-up");
    assert_eq!(report.sessions, 1);
    assert_eq!(app.count("portal_sessions").await, 1);
    let still = fresh
        .send(app, Method::GET, "/api/v1/portal/session", None)
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

on_both_databases!(
    lab_user_uploads_results_a_phone_sees_them,
    health_officer_issues_a_batch_that_redeems,
    the_global_limit_cuts_a_batch_short,
    administrator_manages_lab_api_keys,
    statistics_count_each_event_and_outlive_the_clean_up,
    a_result_counts_once_however_often_it_is_uploaded,
    one_result_uploaded_at_once_by_many_counts_once,
    the_clean_up_deletes_expired_sessions,
);

#[tokio::test]
async fn portal_files_carry_the_content_security_policy() {
    let portal = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        portal.path().join("index.html"),
        "<!DOCTYPE html><title>portal</title>",
    )
    .expect("index written");
    std::fs::create_dir(portal.path().join("verifier")).expect("verifier folder");
    std::fs::write(
        portal.path().join("verifier").join("index.html"),
        "<!DOCTYPE html><title>verifier</title>",
    )
    .expect("verifier index written");
    let server = crate::support::TestServer::start(None, Some(portal.path().to_path_buf())).await;
    // Each app's page for its own routes; the portal's for any other path.
    for (path, app) in [
        ("/", "portal"),
        ("/lab", "portal"),
        ("/index.html", "portal"),
        ("/no/such/page", "portal"),
        ("/bundles", "verifier"),
        ("/risk", "verifier"),
        ("/phone?name=a", "verifier"),
        ("/verifier/index.html", "verifier"),
    ] {
        let response = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|v| v.as_bytes()),
            Some(&b"nosniff"[..])
        );
        let body = response.text().await.expect("body");
        assert!(
            body.contains(&format!("<title>{app}</title>")),
            "{path}: {body}"
        );
    }
    server.stop().await;
}
