//! A portal client for the tests: logs users in through the real log-in
//! (password, then TOTP computed from the secret), keeps the session
//! cookie and the CSRF token, and sends requests with or without them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::portal::Role;

use crate::app::TestApp;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A logged-in portal user.
#[derive(Debug, Clone)]
pub struct PortalUser {
    pub name: String,
    pub id: i64,
    /// `warn_session=...`, as the `Cookie` header sends it.
    pub cookie: String,
    pub csrf: String,
    pub totp_secret: String,
}

/// An answer: status, `Retry-After`, JSON body (Null when none).
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    pub set_cookie: Option<String>,
    pub body: Value,
}

/// Sends a portal request; `cookie` and `csrf` only when given.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.server.base));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(csrf) = csrf {
        request = request.header(shared::portal::CSRF_HEADER, csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body");
    Answer {
        status,
        retry_after,
        set_cookie,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// `warn_session=...` from a `Set-Cookie` value.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("a cookie pair")
        .to_owned()
}

/// Creates a user with [`PASSWORD`] directly in the database.
pub async fn create_user(app: &TestApp, prefix: &str, role: Role) -> (String, i64) {
    let name = format!(
        "{prefix}-{}",
        &shared::verification::Uuid4::generate().expose()[..8]
    );
    let user =
        api::portal::accounts::create(&app.server.db, &name, role, PASSWORD, api::clock::now())
            .await
            .expect("user created");
    (name, user.id)
}

/// Password step; returns the pending cookie, CSRF token and body.
pub async fn password_step(app: &TestApp, name: &str, password: &str) -> Answer {
    send(
        app,
        Method::POST,
        "/api/v1/portal/login",
        None,
        None,
        Some(json!({"name": name, "password": password})),
    )
    .await
}

/// Second step with `code`, on the pending session of `first`.
pub async fn totp_step(app: &TestApp, first: &Answer, code: &str) -> Answer {
    let cookie = cookie_pair(first.set_cookie.as_deref().expect("pending cookie"));
    let csrf = first.body["csrfToken"].as_str().expect("csrf token");
    send(
        app,
        Method::POST,
        "/api/v1/portal/login/totp",
        Some(&cookie),
        Some(csrf),
        Some(json!({"code": code})),
    )
    .await
}

/// Logs a known user in, enrolling the second factor when needed.
pub async fn log_in(
    app: &TestApp,
    name: &str,
    id: i64,
    secret: Option<&str>,
    at: i64,
) -> PortalUser {
    let first = password_step(app, name, PASSWORD).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let secret = match secret {
        Some(secret) => secret.to_owned(),
        None => first.body["enrolment"]["secret"]
            .as_str()
            .expect("an enrolment secret")
            .to_owned(),
    };
    let code = api::portal::totp::code_at(&secret, at).expect("code");
    let second = totp_step(app, &first, &code).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    PortalUser {
        name: name.to_owned(),
        id,
        cookie: cookie_pair(second.set_cookie.as_deref().expect("session cookie")),
        csrf: second.body["csrfToken"].as_str().expect("csrf").to_owned(),
        totp_secret: secret,
    }
}

/// A new user of `role`, logged in (second factor enrolled on the way).
pub async fn logged_in(app: &TestApp, role: Role) -> PortalUser {
    let (name, id) = create_user(app, role.as_str(), role).await;
    log_in(app, &name, id, None, api::clock::now()).await
}

impl PortalUser {
    /// A request with this user's cookie and CSRF token.
    pub async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        send(
            app,
            method,
            path,
            Some(&self.cookie),
            Some(&self.csrf),
            body,
        )
        .await
    }
}
