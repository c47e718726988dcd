//! `/openapi.json` and its browsable page `/api/docs`: every public route
//! is described, every described public route exists, the page keeps a
//! strict Content-Security-Policy.

use std::time::{Duration, Instant};

use api::config::{ServerConfig, StorageConfig};

use crate::support::{self, TestServer};

/// Every route the public listener serves (the portal's files aside).
const PUBLIC_ROUTES: [(&str, &str); 16] = [
    ("post", "/version/v1/registrationToken"),
    ("post", "/version/v1/testresult"),
    ("post", "/version/v1/tan"),
    ("post", "/version/v1/diagnosis-keys"),
    ("post", "/api/v1/lab/results"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/info"),
    ("get", "/metrics"),
    ("get", "/version/v1/diagnosis-keys/country"),
    ("get", "/version/v1/diagnosis-keys/country/{country}/date"),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}",
    ),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour",
    ),
    (
        "get",
        "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour/{hour}",
    ),
    (
        "get",
        "/version/v1/configuration/country/{country}/app_config",
    ),
    ("get", "/version/v1/keys"),
];

/// A server whose distribution has published something: demo keys, one
/// `warn distribute` in another process, noticed by the server.
async fn published_server() -> TestServer {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.distribution_watch = Duration::from_millis(100);
    let server = TestServer::start_in(config, data_dir).await;
    let dir = server.data_dir().display().to_string();
    for args in [
        &[
            "demo",
            "seed",
            "--cases",
            "40",
            "--days",
            "2",
            "--now",
            "2026-11-20T12:00:00Z",
            "--seed",
            "1",
        ][..],
        &[
            "distribute",
            "--now",
            "2026-11-21T00:30:00Z",
            "--min-keys",
            "1",
        ][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--data-dir", &dir]);
        let output = support::warn(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            support::stderr(&output)
        );
    }
    let started = Instant::now();
    while reqwest::get(format!("{}/version/v1/keys", server.base))
        .await
        .expect("request")
        .status()
        != 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// `path` with its parameters filled in from what `server` publishes.
async fn example_path(server: &TestServer, path: &str) -> String {
    let index = |path: String| async move {
        let values: Vec<serde_json::Value> = reqwest::get(format!("{}{path}", server.base))
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON index");
        let first = values.first().expect("a non-empty index");
        first
            .as_str()
            .map_or_else(|| first.to_string(), str::to_owned)
    };
    let mut path = path.replace("{country}", "DE");
    if path.contains("{date}") {
        let date = index("/version/v1/diagnosis-keys/country/DE/date".to_owned()).await;
        path = path.replace("{date}", &date);
        if path.contains("{hour}") {
            let hour = index(format!(
                "/version/v1/diagnosis-keys/country/DE/date/{date}/hour"
            ))
            .await;
            path = path.replace("{hour}", &hour);
        }
    }
    path
}

#[tokio::test]
async fn the_document_describes_every_route_and_only_real_ones() {
    let server = published_server().await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = document["paths"].as_object().expect("paths");
    for (method, path) in PUBLIC_ROUTES {
        assert!(
            paths
                .get(path)
                .is_some_and(|item| item.get(method).is_some()),
            "{method} {path} is not described"
        );
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let internal = operation["tags"][0] == "internal";
            if !internal {
                assert!(
                    PUBLIC_ROUTES.contains(&(method.as_str(), path.as_str())),
                    "{method} {path} is described but not listed in this test"
                );
            }
            // Every described route exists where it should: public ones on
            // the public listener, internal ones nowhere public.
            let url = format!("{}{}", server.base, example_path(&server, path).await);
            let status = match method.as_str() {
                "get" => client.get(&url).send().await,
                _ => client.post(&url).body("").send().await,
            }
            .expect("request")
            .status();
            if internal {
                // 405: the published files answer GET below /version/v1/.
                assert!(
                    status == 404 || status == 405,
                    "{method} {path} must not be public (answered {status})"
                );
            } else {
                assert!(
                    status != 404 && status != 405,
                    "{method} {path} answered {status}"
                );
            }
            // Every error answer has a schema, and every schema it names exists.
            for (code, response) in operation["responses"].as_object().expect("responses") {
                if code.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let text = document.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference.chars().take_while(|c| *c != '"').collect();
        assert!(
            schemas.contains_key(&name),
            "{name} is referenced but missing"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn the_browsable_page_lists_every_operation_without_script() {
    let server = TestServer::start(None, None).await;
    let response = reqwest::get(format!("{}/api/docs", server.base))
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = response.text().await.expect("body");
    assert!(!page.contains("<script"));
    for (_, path) in PUBLIC_ROUTES {
        assert!(
            page.contains(&format!("<code>{path}</code>")),
            "{path} missing"
        );
    }
    let css = reqwest::get(format!("{}/api/docs/style.css", server.base))
        .await
        .expect("request");
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css");
    server.stop().await;
}
