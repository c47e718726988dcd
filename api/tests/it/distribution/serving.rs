//! `warn serve` serves the published tree: ETag and 304, Cache-Control,
//! 404 for unknown paths, no way out of the tree.

use api::config::{ServerConfig, StorageConfig};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

use super::Storage;
use crate::support::TestServer;

const DAY: &str = "version/v1/diagnosis-keys/country/DE/date/2026-11-20";

async fn served() -> (TestServer, reqwest::Client) {
    let storage = Storage::sqlite();
    storage.warn(&[
        "demo",
        "seed",
        "--cases",
        "30",
        "--days",
        "2",
        "--now",
        "2026-11-20T12:00:00Z",
    ]);
    storage.warn(&[
        "distribute",
        "--now",
        "2026-11-21T00:30:00Z",
        "--min-keys",
        "1",
    ]);
    let config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("address"),
        StorageConfig {
            data_dir: storage.data_dir(),
            database_url: None,
            hash_key_file: None,
        },
    );
    let Storage { dir, .. } = storage;
    (
        TestServer::start_in(config, dir).await,
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn published_files_carry_etag_and_cache_control_and_answer_304() {
    let (server, client) = served().await;
    let url = format!("{}/{DAY}", server.base);
    let response = client.get(&url).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/zip");
    assert_eq!(response.headers()[CACHE_CONTROL], "public, max-age=86400");
    let etag = response.headers()[ETAG].clone();
    let body = response.bytes().await.expect("body");
    let on_disk =
        std::fs::read(server.data_dir().join("public").join(DAY).join("index")).expect("file");
    assert_eq!(body.as_ref(), on_disk.as_slice());

    let again = client
        .get(&url)
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG], etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let other = client
        .get(&url)
        .header(IF_NONE_MATCH, "\"other\"")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::OK);

    let index = client
        .get(format!(
            "{}/version/v1/diagnosis-keys/country/DE/date",
            server.base
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(index.headers()[CACHE_CONTROL], "public, max-age=300");
    assert_eq!(index.headers()[CONTENT_TYPE], "application/json");
    let dates: Vec<String> = index.json().await.expect("JSON");
    assert_eq!(dates.last().map(String::as_str), Some("2026-11-20"));

    for path in [
        "version/v1/keys",
        "version/v1/configuration/country/DE/app_config",
    ] {
        let response = client
            .get(format!("{}/{path}", server.base))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    server.stop().await;
}

/// What the Android app's `AppConfigServer` needs of the answer (an
/// `ETag`, else "Server has no ETAG"; `Date` for the clock offset;
/// `Cache-Control` max-age as the cache's validity) and the iOS app's
/// `If-None-Match` request (`ResourceLocator.appConfiguration`).
#[tokio::test]
async fn the_app_configurations_are_served_as_the_apps_fetch_them() {
    let (server, client) = served().await;
    for path in [
        "version/v2/app_config_android",
        "version/v2/app_config_ios",
        "version/v1/app_config_android",
        "version/v1/app_config_ios",
    ] {
        let url = format!("{}/{path}", server.base);
        let response = client.get(&url).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/zip",
            "{path}"
        );
        assert_eq!(
            response.headers()[CACHE_CONTROL],
            "public, max-age=300",
            "{path}"
        );
        assert!(
            response.headers().contains_key(reqwest::header::DATE),
            "{path}: no Date"
        );
        let etag = response.headers()[ETAG].clone();
        let body = response.bytes().await.expect("body");
        assert!(body.starts_with(b"PK"), "{path}: a zip");
        let again = client
            .get(&url)
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let missing = client
        .get(format!("{}/version/v2/app_config_windows", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_traversal_answer_404() {
    let (server, _) = served().await;
    // Raw requests: a client would normalise the dots away.
    for path in [
        "/version/v1/diagnosis-keys/country/XX/date",
        "/version/v1/diagnosis-keys/country/DE/date/2026-11-20/hour/99",
        "/version/v1/../../warn.db",
        "/version/v1/%2e%2e/%2e%2e/warn.db",
        "/version/v1/diagnosis-keys/country/DE/date/2026-11-20/index",
        "/version/v1/..%2f..%2fsigning/v1.pem",
        "/version/v2/../../warn.db",
        "/version/v2/%2e%2e/v1/keys/../../../warn.db",
    ] {
        let status = raw_get(&server.base, path).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
    server.stop().await;
}

/// The status line of a request sent byte for byte.
async fn raw_get(base: &str, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}
