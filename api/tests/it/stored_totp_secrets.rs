//! The portal users' TOTP secrets at rest (issue 15 point 11): sealed under
//! a key derived from the server's key and bound to their user; plain
//! secrets of earlier versions sealed at start; a stored value that does not
//! open refuses the log-in as a wrong code does. On SQLite and PostgreSQL.
//! (That no secret is stored plain: `stored_secrets.rs`.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use shared::portal::Role;
use sqlx::Row;

use crate::app::TestApp;
use crate::portal_client::{
    Answer, PASSWORD, create_user, log_in, logged_in, password_step, totp_step,
};

on_both_databases!(
    a_plain_secret_of_an_earlier_version_is_sealed_at_start_and_still_logs_in,
    a_secret_copied_to_another_users_row_does_not_log_them_in,
    an_altered_secret_refuses_the_log_in_as_a_wrong_code_does,
);

/// The stored `(totp_secret, totp_pending)` of user `id`.
async fn stored(app: &TestApp, id: i64) -> (Option<String>, Option<String>) {
    let row = sqlx::query("SELECT totp_secret, totp_pending FROM portal_users WHERE id = $1")
        .bind(id)
        .fetch_one(app.server.db.pool())
        .await
        .expect("a user");
    (row.get("totp_secret"), row.get("totp_pending"))
}

async fn set_stored(app: &TestApp, column: &str, id: i64, value: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE portal_users SET {column} = $2 WHERE id = $1"
    )))
    .bind(id)
    .bind(value)
    .execute(app.server.db.pool())
    .await
    .expect("updated");
}

/// The answer to the second step of `name`'s log-in with `code`.
async fn second_step(app: &TestApp, name: &str, code: &str) -> Answer {
    let first = password_step(app, name, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["next"], "totp", "{}", first.body);
    totp_step(app, &first, code).await
}

fn code_at(secret: &str, at: i64) -> String {
    api::portal::totp::code_at(secret, at).expect("code")
}

/// A database written by an earlier version holds the base32 secret; the
/// next start seals it (once), and the user logs in with the same app.
async fn a_plain_secret_of_an_earlier_version_is_sealed_at_start_and_still_logs_in(app: &TestApp) {
    let (name, id) = create_user(app, "legacy", Role::Hotline).await;
    let (_, enrolling) = create_user(app, "legacy-enrolling", Role::Hotline).await;
    let secret = api::portal::totp::new_secret().expect("secret");
    let offered = api::portal::totp::new_secret().expect("secret");
    set_stored(app, "totp_secret", id, &secret).await;
    set_stored(app, "totp_pending", enrolling, &offered).await;

    app.server
        .db
        .migrate()
        .await
        .expect("the start's migration");
    let (sealed, _) = stored(app, id).await;
    let sealed = sealed.expect("still enrolled");
    assert!(sealed.starts_with("v1:"), "{sealed}");
    assert!(!sealed.contains(&secret), "{sealed}");
    let (_, sealed_offer) = stored(app, enrolling).await;
    let sealed_offer = sealed_offer.expect("still offered");
    assert!(sealed_offer.starts_with("v1:"), "{sealed_offer}");
    assert!(!sealed_offer.contains(&offered), "{sealed_offer}");

    // A second start (or a second process) seals nothing twice.
    app.server.db.migrate().await.expect("the next start");
    assert_eq!(
        stored(app, id).await,
        (Some(sealed.clone()), None),
        "a sealed secret is left as it is"
    );
    assert_eq!(stored(app, enrolling).await, (None, Some(sealed_offer)));

    log_in(app, &name, id, Some(&secret), api::clock::now()).await;
}

/// With the database alone one cannot give a user another user's second
/// factor: the value is bound to the row it was sealed for.
async fn a_secret_copied_to_another_users_row_does_not_log_them_in(app: &TestApp) {
    let anna = logged_in(app, Role::Hotline).await;
    let bert = logged_in(app, Role::Hotline).await;
    let (annas, _) = stored(app, anna.id).await;
    set_stored(app, "totp_secret", bert.id, &annas.expect("enrolled")).await;

    let next_step = api::clock::now() + 30;
    let wrong = second_step(app, &bert.name, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    let annas_code = second_step(app, &bert.name, &code_at(&anna.totp_secret, next_step)).await;
    assert_eq!(
        (annas_code.status, &annas_code.body),
        (wrong.status, &wrong.body),
        "Anna's code for Bert is refused as a wrong code"
    );
    let berts_code = second_step(app, &bert.name, &code_at(&bert.totp_secret, next_step)).await;
    assert_eq!(berts_code.status, StatusCode::UNAUTHORIZED);
    // Anna's own row still works.
    let annas_own = second_step(app, &anna.name, &code_at(&anna.totp_secret, next_step)).await;
    assert_eq!(annas_own.status, StatusCode::OK, "{}", annas_own.body);
}

/// One changed bit of the stored value (a damaged backup, a tampering
/// attempt) refuses the log-in with the answer of a wrong code, not a 500
/// or a panic, and tells the operator (without the secret); the server goes
/// on, and the row restored works again.
async fn an_altered_secret_refuses_the_log_in_as_a_wrong_code_does(app: &TestApp) {
    let logs = crate::privacy::captured_logs();
    let anna = logged_in(app, Role::Hotline).await;
    let (original, _) = stored(app, anna.id).await;
    let original = original.expect("enrolled");
    let mut bytes = STANDARD
        .decode(original.strip_prefix("v1:").expect("the sealed form"))
        .expect("base64");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    set_stored(
        app,
        "totp_secret",
        anna.id,
        &format!("v1:{}", STANDARD.encode(&bytes)),
    )
    .await;

    let next_step = api::clock::now() + 30;
    let wrong = second_step(app, &anna.name, "000000").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    let right_code = second_step(app, &anna.name, &code_at(&anna.totp_secret, next_step)).await;
    assert_eq!(
        (right_code.status, &right_code.body),
        (wrong.status, &wrong.body)
    );
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("stored TOTP secret cannot be read"),
        "no error for the operator in the logs"
    );
    assert!(
        !logged.contains(&anna.totp_secret),
        "the secret reached the logs"
    );
    // Nor is a plain value read any more (only a start seals those).
    set_stored(app, "totp_secret", anna.id, &anna.totp_secret).await;
    let plain = second_step(app, &anna.name, &code_at(&anna.totp_secret, next_step)).await;
    assert_eq!((plain.status, &plain.body), (wrong.status, &wrong.body));

    set_stored(app, "totp_secret", anna.id, &original).await;
    let restored = second_step(app, &anna.name, &code_at(&anna.totp_secret, next_step)).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
}
