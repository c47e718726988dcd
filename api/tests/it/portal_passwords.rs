//! Passwords and administrators (issue 15): the initial password is
//! replaced at the first log-in, users change their own password, an
//! administrator resets one, the last enabled administrator stays, and the
//! session cookie carries the `__Host-` prefix under `--secure-cookies`.

use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::portal::Role;

use crate::app::TestApp;
use crate::portal_client::{
    PASSWORD, PortalUser, cookie_pair, create_user, log_in, logged_in, password_step, send,
    totp_step,
};

/// Logs in with `password` (enrolling the second factor), as a user who
/// may have to change it.
async fn log_in_with(app: &TestApp, name: &str, password: &str) -> PortalUser {
    let first = password_step(app, name, password).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let secret = first.body["enrolment"]["secret"]
        .as_str()
        .expect("an enrolment")
        .to_owned();
    let code = api::portal::totp::code_at(&secret, api::clock::now()).expect("code");
    let second = totp_step(app, &first, &code).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    PortalUser {
        name: name.to_owned(),
        id: 0,
        cookie: cookie_pair(second.set_cookie.as_deref().expect("cookie")),
        csrf: second.body["csrfToken"].as_str().expect("csrf").to_owned(),
        totp_secret: secret,
    }
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT actor, action, detail FROM portal_audit ORDER BY id")
        .fetch_all(app.server.db.pool())
        .await
        .expect("audit")
}

async fn the_initial_password_must_be_changed_first(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let created = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/users",
            Some(json!({"name": "hotline-new", "role": "hotline"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["user"]["passwordChangeRequired"], true);
    let initial = created.body["initialPassword"]
        .as_str()
        .expect("password")
        .to_owned();

    let user = log_in_with(app, "hotline-new", &initial).await;
    let session = user
        .send(app, Method::GET, "/api/v1/portal/session", None)
        .await;
    assert_eq!(session.body["passwordChangeRequired"], true);
    let blocked = user
        .send(app, Method::POST, "/api/v1/portal/teletans", None)
        .await;
    assert_eq!(blocked.status, StatusCode::FORBIDDEN, "{}", blocked.body);

    let change = |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new});
    for (body, code) in [
        (
            change("wrong password here", "a brand new passphrase"),
            "wrong_password",
        ),
        (change(&initial, "short"), "weak_password"),
        (
            change(&initial, "hotline-new is my password"),
            "weak_password",
        ),
        (change(&initial, &initial), "same_password"),
    ] {
        let refused = user
            .send(app, Method::POST, "/api/v1/portal/password", Some(body))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.body["error"], code);
    }
    // The CSRF token is required as on every POST.
    let no_csrf = send(
        app,
        Method::POST,
        "/api/v1/portal/password",
        Some(&user.cookie),
        None,
        Some(change(&initial, "a brand new passphrase")),
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    let changed = user
        .send(
            app,
            Method::POST,
            "/api/v1/portal/password",
            Some(change(&initial, "a brand new passphrase")),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["passwordChangeRequired"], false);
    let allowed = user
        .send(app, Method::POST, "/api/v1/portal/teletans", None)
        .await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{}", allowed.body);

    assert_eq!(
        password_step(app, "hotline-new", &initial).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        password_step(app, "hotline-new", "a brand new passphrase")
            .await
            .status,
        StatusCode::OK
    );
    let audit = audit_actions(app).await;
    assert!(
        audit.contains(&(
            "hotline-new".to_owned(),
            "password.changed".to_owned(),
            String::new()
        )),
        "{audit:?}"
    );
}

async fn an_administrator_resets_a_password(app: &TestApp) {
    let admin = logged_in(app, Role::Admin).await;
    let (name, id) = create_user(app, "forgetful", Role::Lab).await;
    let user = log_in(app, &name, id, None, api::clock::now()).await;

    let own = admin
        .send(
            app,
            Method::POST,
            &format!("/api/v1/portal/users/{}/reset-password", admin.id),
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
    let missing = admin
        .send(
            app,
            Method::POST,
            "/api/v1/portal/users/999999/reset-password",
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let reset = admin
        .send(
            app,
            Method::POST,
            &format!("/api/v1/portal/users/{id}/reset-password"),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let one_time = reset.body["oneTimePassword"]
        .as_str()
        .expect("a password")
        .to_owned();
    assert_eq!(one_time.len(), 24);
    assert_eq!(reset.body["user"]["passwordChangeRequired"], true);
    // The user's sessions ended; the old password no longer works.
    let ended = user
        .send(app, Method::GET, "/api/v1/portal/session", None)
        .await;
    assert_eq!(ended.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        password_step(app, &name, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = password_step(app, &name, &one_time).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let code = api::portal::totp::code_at(&user.totp_secret, api::clock::now() + 30).expect("code");
    let second = totp_step(app, &again, &code).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["passwordChangeRequired"], true);

    let audit = audit_actions(app).await;
    assert!(
        audit.contains(&(admin.name.clone(), "user.password-reset".to_owned(), name)),
        "{audit:?}"
    );
}

async fn the_last_enabled_administrator_cannot_be_disabled(app: &TestApp) {
    let (name, id) = create_user(app, "only-admin", Role::Admin).await;
    let refused = api::portal::accounts::set_disabled(&app.server.db, id, true).await;
    assert!(
        matches!(
            &refused,
            Err(api::error::AppError::BadRequest {
                code: "last_admin",
                ..
            })
        ),
        "{refused:?}"
    );
    let user = api::portal::accounts::by_name(&app.server.db, &name)
        .await
        .expect("query")
        .expect("user");
    assert!(!user.disabled);
    // Another enabled administrator: now it may be disabled.
    create_user(app, "second-admin", Role::Admin).await;
    assert!(
        api::portal::accounts::set_disabled(&app.server.db, id, true)
            .await
            .expect("disabled")
    );
}

async fn two_administrators_disabling_each_other_leave_one(app: &TestApp) {
    let mut standing = logged_in(app, Role::Admin).await;
    for round in 0..5 {
        let other = logged_in(app, Role::Admin).await;
        let disable_other = format!("/api/v1/portal/users/{}/disable", other.id);
        let disable_standing = format!("/api/v1/portal/users/{}/disable", standing.id);
        let (a, b) = tokio::join!(
            standing.send(app, Method::POST, &disable_other, None),
            other.send(app, Method::POST, &disable_standing, None),
        );
        let enabled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_users WHERE role = 'admin' AND disabled = 0",
        )
        .fetch_one(app.server.db.pool())
        .await
        .expect("count");
        assert_eq!(enabled, 1, "round {round}: {} and {}", a.status, b.status);
        assert_eq!(
            [a.status, b.status]
                .iter()
                .filter(|status| **status == StatusCode::OK)
                .count(),
            1,
            "round {round}: {} {} / {} {}",
            a.status,
            a.body,
            b.status,
            b.body
        );
        if b.status == StatusCode::OK {
            standing = other;
        }
    }
}

on_both_databases!(
    the_initial_password_must_be_changed_first,
    an_administrator_resets_a_password,
    the_last_enabled_administrator_cannot_be_disabled,
    two_administrators_disabling_each_other_leave_one,
);

#[tokio::test]
async fn secure_cookies_carry_the_host_prefix() {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = api::config::StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config =
        api::config::ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.portal.secure_cookie = true;
    let app = TestApp {
        server: crate::support::TestServer::start_in(config, data_dir).await,
        client: reqwest::Client::new(),
    };
    let (name, _) = create_user(&app, "secure", Role::Hotline).await;
    let first = password_step(&app, &name, PASSWORD).await;
    let set_cookie = first.set_cookie.clone().expect("a cookie");
    assert!(
        set_cookie.starts_with("__Host-warn_session="),
        "{set_cookie}"
    );
    for attribute in ["; Path=/;", "; Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }
    assert!(!set_cookie.to_ascii_lowercase().contains("domain"));
    // The same id under the name without the prefix is not accepted.
    let id = cookie_pair(&set_cookie)
        .split_once('=')
        .expect("a pair")
        .1
        .to_owned();
    let csrf = first.body["csrfToken"].as_str().expect("csrf").to_owned();
    let secret = first.body["enrolment"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let code = api::portal::totp::code_at(&secret, api::clock::now()).expect("code");
    let plain = send(
        &app,
        Method::POST,
        "/api/v1/portal/login/totp",
        Some(&format!("warn_session={id}")),
        Some(&csrf),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(plain.status, StatusCode::UNAUTHORIZED);
    let second = totp_step(&app, &first, &code).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(
        second
            .set_cookie
            .expect("the session cookie")
            .starts_with("__Host-warn_session=")
    );
    app.server.stop().await;
}
