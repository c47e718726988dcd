//! The portal API: log-in with password and TOTP, throttling, sessions and
//! their timeouts, teleTAN issuance, administration, `warn user add`.

use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::portal::Role;

use crate::app::TestApp;
use crate::portal_client::{
    PASSWORD, cookie_pair, create_user, log_in, logged_in, password_step, send, totp_step,
};

async fn first_log_in_enrols_then_asks_for_the_code(app: &TestApp) {
    let (name, id) = create_user(app, "anna", Role::Hotline).await;
    let first = password_step(app, &name, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["next"], "enrol");
    assert!(
        first.body["enrolment"]["qrSvg"]
            .as_str()
            .expect("svg")
            .starts_with("<svg")
    );
    let set_cookie = first.set_cookie.clone().expect("a cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/portal"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }
    // A half-open session is not a session.
    let pending = send(
        app,
        Method::GET,
        "/api/v1/portal/session",
        Some(&cookie_pair(&set_cookie)),
        None,
        None,
    )
    .await;
    assert_eq!(pending.status, StatusCode::UNAUTHORIZED);
    let wrong = totp_step(app, &first, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    let now = api::clock::now();
    let user = log_in(app, &name, id, None, now).await;
    let session = user
        .send(app, Method::GET, "/api/v1/portal/session", None)
        .await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(session.body["name"], name.as_str());
    assert_eq!(session.body["role"], "hotline");

    // Enrolled now: the next log-in asks for the code of the same secret,
    // and a code already used is refused.
    let again = password_step(app, &name, PASSWORD).await;
    assert_eq!(again.body["next"], "totp");
    assert!(again.body["enrolment"].is_null());
    let replayed = totp_step(
        app,
        &again,
        &api::portal::totp::code_at(&user.totp_secret, now).expect("code"),
    )
    .await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "a TOTP code is accepted once"
    );
    let next_step = api::portal::totp::code_at(&user.totp_secret, now + 30).expect("code");
    assert_eq!(
        totp_step(app, &again, &next_step).await.status,
        StatusCode::OK
    );
}

async fn wrong_passwords_make_the_account_wait(app: &TestApp) {
    let (name, _) = create_user(app, "bert", Role::Hotline).await;
    let unknown = password_step(app, "nobody-here", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for attempt in 0..5 {
        let answer = password_step(app, &name, "not the password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = password_step(app, &name, PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    let wait = locked.retry_after.expect("Retry-After");
    assert!((1..=30).contains(&wait), "waits {wait} s");
}

async fn sessions_end_when_idle_or_too_old(app: &TestApp) {
    let idle = logged_in(app, Role::Hotline).await;
    let old = logged_in(app, Role::Hotline).await;
    assert_eq!(session_status(app, &idle).await, StatusCode::OK);
    // 21 minutes without a request; a login 8 hours and a minute ago (still active).
    sqlx::query("UPDATE portal_sessions SET last_seen_at = last_seen_at - 1260 WHERE user_id = $1")
        .bind(idle.id)
        .execute(app.server.db.pool())
        .await
        .expect("update");
    sqlx::query("UPDATE portal_sessions SET created_at = created_at - 28860 WHERE user_id = $1")
        .bind(old.id)
        .execute(app.server.db.pool())
        .await
        .expect("update");
    assert_eq!(session_status(app, &idle).await, StatusCode::UNAUTHORIZED);
    assert_eq!(session_status(app, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("portal_sessions").await,
        0,
        "expired sessions are deleted"
    );
}

async fn session_status(app: &TestApp, user: &crate::portal_client::PortalUser) -> StatusCode {
    user.send(app, Method::GET, "/api/v1/portal/session", None)
        .await
        .status
}

async fn logout_everywhere_ends_every_session(app: &TestApp) {
    let (name, id) = create_user(app, "carl", Role::HealthOfficer).await;
    let now = api::clock::now();
    let first = log_in(app, &name, id, None, now).await;
    let second = log_in(app, &name, id, Some(&first.totp_secret), now + 30).await;
    let out = first
        .send(app, Method::POST, "/api/v1/portal/logout-everywhere", None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.set_cookie
            .expect("cookie removed")
            .contains("Max-Age=0")
    );
    for user in [&first, &second] {
        let answer = user
            .send(app, Method::GET, "/api/v1/portal/session", None)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
}

async fn hotline_agent_issues_a_teletan_that_redeems(app: &TestApp) {
    let agent = logged_in(app, Role::Hotline).await;
    let issued = agent
        .send(app, Method::POST, "/api/v1/portal/teletans", None)
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let teletan = issued.body["value"].as_str().expect("a teleTAN").to_owned();
    shared::verification::TeleTan::parse(&teletan).expect("a valid teleTAN");

    let (status, body) = app.register(&teletan, "TELETAN").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // One per 30 seconds per user: the answer says when.
    let again = agent
        .send(app, Method::POST, "/api/v1/portal/teletans", None)
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=30).contains(&again.retry_after.expect("Retry-After")));

    // Audited: who, what, how many; never the teleTAN.
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT actor, action || detail, count FROM portal_audit WHERE action = 'teletan.issued'",
    )
    .fetch_all(app.server.db.pool())
    .await
    .expect("audit");
    assert_eq!(
        rows,
        vec![(agent.name.clone(), "teletan.issued".to_owned(), 1)]
    );
}

async fn administrator_creates_a_user_who_logs_in(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let created = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/users",
            Some(json!({"name": "lab-one", "role": "lab"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let password = created.body["initialPassword"]
        .as_str()
        .expect("password")
        .to_owned();
    let id = created.body["user"]["id"].as_i64().expect("id");
    let duplicate = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/users",
            Some(json!({"name": "lab-one", "role": "lab"})),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);

    let first = password_step(app, "lab-one", &password).await;
    assert_eq!(first.status, StatusCode::OK, "the initial password works");
    assert_eq!(first.body["next"], "enrol");

    let disabled = admin
        .send(
            app,
            Method::POST,
            &format!("/api/v1/portal/users/{id}/disable"),
            None,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert_eq!(disabled.body["disabled"], true);
    assert_eq!(
        password_step(app, "lab-one", &password).await.status,
        StatusCode::UNAUTHORIZED
    );
    let own = admin
        .send(
            app,
            Method::POST,
            &format!("/api/v1/portal/users/{}/disable", admin.id),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
    let missing = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/users/999999/reset-totp",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let audit = admin
        .send(
            app,
            Method::GET,
            "/api/v1/portal/audit?action=user.created",
            None,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    let entries = audit.body.as_array().expect("a list");
    assert_eq!(entries.len(), 1, "{}", audit.body);
    assert_eq!(entries[0]["actor"], admin.name.as_str());
    assert_eq!(entries[0]["detail"], "lab-one (lab)");
}

/// The audit log's user filter takes the name in any case (people type
/// "Anna" for "anna"), the whole name only.
async fn the_audit_log_finds_a_user_by_name_in_any_case(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let now = api::clock::now();
    for actor in ["Anna.Berg", "otto"] {
        api::portal::audit::record(
            &app.server.db,
            actor,
            shared::portal::AuditAction::TeleTanIssued,
            "",
            1,
            now,
        )
        .await
        .expect("recorded");
    }
    for (query, expected) in [
        ("actor=anna.berg", 1),
        ("actor=ANNA.BERG", 1),
        ("actor=Anna.Berg", 1),
        ("actor=ANNA.BERG&action=teletan.issued", 1),
        ("actor=ANNA.BERG&action=user.created", 0),
        ("actor=anna", 0),
        ("actor=OTTO", 1),
    ] {
        let found = admin
            .send(
                app,
                Method::GET,
                &format!("/api/v1/portal/audit?{query}"),
                None,
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{query}: {}", found.body);
        let entries = found.body.as_array().expect("a list");
        assert_eq!(entries.len(), expected, "{query}: {}", found.body);
    }
}

on_both_databases!(
    the_audit_log_finds_a_user_by_name_in_any_case,
    first_log_in_enrols_then_asks_for_the_code,
    wrong_passwords_make_the_account_wait,
    sessions_end_when_idle_or_too_old,
    logout_everywhere_ends_every_session,
    hotline_agent_issues_a_teletan_that_redeems,
    administrator_creates_a_user_who_logs_in,
);

#[tokio::test]
async fn warn_user_add_makes_an_administrator_who_can_log_in() {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let data = data_dir.path().join("data");
    let output = crate::support::warn(&[
        "user",
        "add",
        "first-admin",
        "--role",
        "admin",
        "--data-dir",
        data.to_str().expect("path"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    let stdout = crate::support::stdout(&output);
    let password = stdout
        .lines()
        .last()
        .expect("the password line")
        .trim()
        .to_owned();
    assert_eq!(password.len(), 24);

    let refused = crate::support::warn(&[
        "user",
        "add",
        "x",
        "--role",
        "boss",
        "--data-dir",
        data.to_str().expect("path"),
    ]);
    assert!(!refused.status.success());

    let storage = api::config::StorageConfig {
        data_dir: data,
        database_url: None,
        hash_key_file: None,
    };
    let config = api::config::ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    let app = TestApp {
        server: crate::support::TestServer::start_in(config, data_dir).await,
        client: reqwest::Client::new(),
    };
    let first = password_step(&app, "first-admin", &password).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["next"], "enrol");
    app.server.stop().await;
}
