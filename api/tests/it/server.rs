//! `warn serve`: health, readiness, the portal's static files, both databases.

use crate::support::{PostgresDatabase, TestServer, skip};

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn sqlite_server_is_live_and_ready() {
    let server = TestServer::start(None, None).await;
    assert_eq!(
        get(&format!("{}/healthz", server.base)).await,
        (200, "ok".into())
    );
    assert_eq!(
        get(&format!("{}/readyz", server.base)).await,
        (200, "ready".into())
    );
    let (status, body) = get(&format!("{}/api/v1/info", server.base)).await;
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["database"], "sqlite");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    server.stop().await;
}

/// A server with an internal listener (where the metrics are).
async fn server_with_internal_listener(secure_cookies: bool) -> TestServer {
    let data_dir = tempfile::tempdir().unwrap();
    let storage = api::config::StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = api::config::ServerConfig::new("127.0.0.1:0".parse().unwrap(), storage);
    config.internal_listen = Some("127.0.0.1:0".parse().unwrap());
    config.service_token = Some(
        "server-test-service-token-0123456789"
            .parse()
            .expect("a long token"),
    );
    config.portal.secure_cookie = secure_cookies;
    TestServer::start_in(config, data_dir).await
}

#[tokio::test]
async fn metrics_are_served_on_the_internal_listener_only() {
    let server = server_with_internal_listener(false).await;
    let internal = server.internal.clone().unwrap();
    get(&format!("{}/healthz", server.base)).await;
    let (public_status, public_body) = get(&format!("{}/metrics", server.base)).await;
    assert_eq!(public_status, 404, "{public_body}");
    assert!(!public_body.contains("http_requests_total"));

    let (status, body) = get(&format!("{internal}/metrics")).await;
    assert_eq!(status, 200);
    let line = body
        .lines()
        .find(|line| {
            line.starts_with("http_requests_total")
                && line.contains("route=\"/healthz\"")
                && line.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no /healthz counter in:\n{body}"));
    assert!(line.contains("method=\"GET\""), "{line}");
    assert!(
        body.contains("http_request_duration_seconds_bucket"),
        "{body}"
    );
    // Health checks answer there too.
    assert_eq!(
        get(&format!("{internal}/healthz")).await,
        (200, "ok".into())
    );
    server.stop().await;
}

#[tokio::test]
async fn metric_labels_stay_bounded_whatever_methods_and_paths_clients_send() {
    let server = server_with_internal_listener(false).await;
    let client = reqwest::Client::new();
    for index in 0..40 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{index}").as_bytes()).unwrap();
        let answer = client
            .request(method, format!("{}/healthz", server.base))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error());
        let answer = client
            .get(format!("{}/made-up/path-{index}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404);
    }
    let (_, body) = get(&format!("{}/metrics", server.internal.clone().unwrap())).await;
    assert!(!body.contains("MADEUP"), "a made-up method became a label");
    assert!(!body.contains("made-up"), "a raw path became a label");
    let known = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
    ];
    for line in body
        .lines()
        .filter(|line| line.starts_with("http_requests_total"))
    {
        let method = line
            .split("method=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no method label: {line}"));
        assert!(known.contains(&method), "{line}");
    }
    assert!(
        body.lines().any(
            |line| line.starts_with("http_requests_total") && line.contains("method=\"other\"")
        ),
        "made-up methods count as other"
    );
    server.stop().await;
}

/// The security headers of one answer: (nosniff, referrer policy, CSP present, HSTS).
fn security_headers(answer: &reqwest::Response) -> (String, String, bool, Option<String>) {
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    (
        header("x-content-type-options").unwrap_or_default(),
        header("referrer-policy").unwrap_or_default(),
        header("content-security-policy").is_some(),
        header("strict-transport-security"),
    )
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    for secure_cookies in [true, false] {
        let server = server_with_internal_listener(secure_cookies).await;
        let internal = server.internal.clone().unwrap();
        let client = reqwest::Client::new();
        let answers = [
            client.get(format!("{}/healthz", server.base)),
            client.get(format!("{}/api/v1/info", server.base)),
            client.get(format!("{}/no/such/path", server.base)),
            client.get(format!("{}/openapi.json", server.base)),
            client
                .post(format!("{}/version/v1/tan", server.base))
                .json(&serde_json::json!({"registrationToken": "x"})),
            client
                .post(format!("{}/version/v1/tan", server.base))
                .header("cwa-fake", "1")
                .json(&serde_json::json!({"registrationToken": "x"})),
            client.get(format!("{internal}/metrics")),
        ];
        for request in answers {
            let answer = request.send().await.unwrap();
            let url = answer.url().clone();
            let (nosniff, referrer, csp, hsts) = security_headers(&answer);
            assert_eq!(nosniff, "nosniff", "{url}");
            assert_eq!(referrer, "no-referrer", "{url}");
            assert!(csp, "{url}: no Content-Security-Policy");
            if secure_cookies {
                assert_eq!(hsts.as_deref(), Some(api::server::HSTS), "{url}");
            } else {
                assert_eq!(hsts, None, "{url}: HSTS over plain HTTP");
            }
        }
        server.stop().await;
    }
}

/// The gateway's listener speaks only TLS: every answer, to a country, to
/// a certificate without one (403), for an unknown path, the health check
/// and its API description, carries the same headers and HSTS.
#[tokio::test(flavor = "multi_thread")]
async fn every_answer_of_the_gateway_carries_the_security_headers() {
    use axum::http::Method;
    let gateway = crate::federation::gateway::Gateway::start(None).await;
    let de = crate::federation::client(gateway.dir(), "DE");
    let nameless = crate::federation::client(gateway.dir(), "gateway");
    let answers = [
        (&de, Method::GET, "/healthz", 200),
        (&de, Method::GET, "/openapi.json", 200),
        (&de, Method::GET, "/diagnosiskeys/callback", 200),
        (&de, Method::GET, "/no/such/path", 404),
        (
            &de,
            Method::OPTIONS,
            "/diagnosiskeys/download/2026-01-01",
            200,
        ),
        (&nameless, Method::GET, "/diagnosiskeys/callback", 403),
    ];
    for (client, method, path, status) in answers {
        let answer = client
            .send(method, &format!("{}{path}", gateway.base), &[], Vec::new())
            .await
            .expect("the gateway answers");
        assert_eq!(answer.status.as_u16(), status, "{path}");
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert!(answer.header("content-security-policy").is_some(), "{path}");
        assert_eq!(
            answer.header("strict-transport-security"),
            Some(api::server::HSTS),
            "{path}"
        );
    }
    gateway.stop().await;
}

#[test]
fn the_service_token_is_refused_on_the_command_line() {
    let output = crate::support::warn(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--service-token",
        "a-service-token-of-at-least-32-characters",
    ]);
    assert!(!output.status.success());
    let stderr = crate::support::stderr(&output);
    assert!(stderr.contains("--service-token-file"), "{stderr}");
}

#[tokio::test]
async fn postgres_server_is_ready() {
    let Some(database) = PostgresDatabase::create().await else {
        return skip(
            "postgres_server_is_ready",
            "no PostgreSQL server at 127.0.0.1:5432",
        );
    };
    let server = TestServer::start(Some(database.url.clone()), None).await;
    assert_eq!(
        get(&format!("{}/readyz", server.base)).await,
        (200, "ready".into())
    );
    let (_, body) = get(&format!("{}/api/v1/info", server.base)).await;
    assert!(body.contains("\"database\":\"postgres\""), "{body}");
    server.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn portal_files_are_served_and_unknown_paths_fall_back_to_the_app() {
    let portal = tempfile::tempdir().unwrap();
    std::fs::write(
        portal.path().join("index.html"),
        "<!doctype html><title>Warn</title>",
    )
    .unwrap();
    std::fs::write(portal.path().join("app.js"), "console.log(1)").unwrap();
    let server = TestServer::start(None, Some(portal.path().to_path_buf())).await;

    assert_eq!(
        get(&format!("{}/app.js", server.base)).await,
        (200, "console.log(1)".into())
    );
    let (status, body) = get(&format!("{}/teletan/new", server.base)).await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>Warn</title>"));
    // The API keeps its own routes.
    assert_eq!(get(&format!("{}/healthz", server.base)).await.1, "ok");
    server.stop().await;
}

#[test]
fn serve_refuses_an_unsupported_database_url() {
    let output = crate::support::warn(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "mysql://localhost/warn",
    ]);
    assert!(!output.status.success());
    assert!(
        crate::support::stderr(&output).contains("unsupported database URL"),
        "{}",
        crate::support::stderr(&output)
    );
}
