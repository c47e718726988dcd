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

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let server = TestServer::start(None, None).await;
    get(&format!("{}/healthz", server.base)).await;
    let (status, body) = get(&format!("{}/metrics", server.base)).await;
    assert_eq!(status, 200);
    let line = body
        .lines()
        .find(|line| line.starts_with("http_requests_total") && line.contains("route=\"/healthz\""))
        .unwrap_or_else(|| panic!("no /healthz counter in:\n{body}"));
    assert!(line.contains("status=\"200\""), "{line}");
    assert!(
        body.contains("http_request_duration_seconds_bucket"),
        "{body}"
    );
    server.stop().await;
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
