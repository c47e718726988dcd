//! Callbacks both ways, and what a stranger can make them cost: a callback
//! target that answers without end (the gateway reads 64 KiB of it), and
//! anyone calling a national server's `GET /federation/v1/callback` (the
//! downloads it starts are spaced, the calls of one address counted).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use api::config::FederationSettings;
use api::config::{ServerConfig, StorageConfig};
use axum::http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::gateway::Gateway;
use super::{client, keys, signed, upload};
use crate::support::TestServer;

/// What the endless target saw of one call.
struct Endless {
    /// The request line.
    request: String,
    /// Body bytes written before the gateway closed the connection.
    written: u64,
    /// Whether the gateway closed it (rather than reading on until the
    /// target gave up at [`ENDLESS_GIVES_UP_AT`]).
    closed: bool,
}

/// Where the endless target stops writing when the gateway reads on (so a
/// gateway without a bound fails the test instead of filling the memory).
const ENDLESS_GIVES_UP_AT: u64 = 256 * 1024 * 1024;

/// A callback target on loopback that answers each call 200 with a body
/// that does not end; reports each call.
async fn endless_target() -> (u16, tokio::sync::mpsc::UnboundedReceiver<Endless>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let (report, reports) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let report = report.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => head.extend_from_slice(&buffer[..read]),
                    }
                }
                let request = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                // No length: the body runs until the connection closes.
                let answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\r\n";
                if stream.write_all(answer).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut written = 0u64;
                let mut closed = false;
                while written < ENDLESS_GIVES_UP_AT {
                    if stream.write_all(&chunk).await.is_err() {
                        closed = true;
                        break;
                    }
                    written += chunk.len() as u64;
                }
                let _ = report.send(Endless {
                    request,
                    written,
                    closed,
                });
            });
        }
    });
    (port, reports)
}

/// A callback target that answers with a body without end: the gateway
/// reads its 64 KiB bound, closes the connection and goes on serving and
/// calling back.
#[tokio::test(flavor = "multi_thread")]
async fn a_callback_target_answering_without_end_is_read_only_to_its_bound() {
    let gateway = Gateway::start_with(None, true).await;
    let de = client(gateway.dir(), "DE");
    let (port, mut calls) = endless_target().await;
    let target = format!("http://127.0.0.1:{port}/federation/v1/callback");
    let answer = de
        .send(
            Method::PUT,
            &format!(
                "{}/diagnosiskeys/callback/endless?url={target}",
                gateway.base
            ),
            &[],
            Vec::new(),
        )
        .await
        .expect("the gateway answers");
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());

    for tag in ["first", "second"] {
        let batch = keys(3, "DE", &["FR"]);
        let (body, signature) = signed(&batch, gateway.dir(), "DE");
        let (status, text) = upload(&de, &gateway.base, tag, body, &signature).await;
        assert_eq!(status.as_u16(), 201, "{tag}: {text}");
        let call = tokio::time::timeout(Duration::from_secs(20), calls.recv())
            .await
            .unwrap_or_else(|_| panic!("{tag}: the gateway did not call back"))
            .expect("a report");
        assert!(
            call.request
                .starts_with("GET /federation/v1/callback?batchTag="),
            "{}",
            call.request
        );
        assert!(
            call.closed,
            "{tag}: the gateway read {} bytes and still read on",
            call.written
        );
        // 64 KiB read, the rest in the two sockets' buffers at most.
        assert!(
            call.written < 32 * 1024 * 1024,
            "{tag}: {} bytes written before the close",
            call.written
        );
    }
    let health = de
        .get(&format!("{}/healthz", gateway.base), &[])
        .await
        .expect("the gateway answers");
    assert_eq!(health.status, StatusCode::OK);
    gateway.stop().await;
}

/// A stand-in for the gateway that answers every request 404 (no batch of
/// that date) and counts them: each callback download is one request.
async fn counting_gateway() -> (String, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { StatusCode::NOT_FOUND }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/"), requests)
}

/// A national server (DE) with the federation service towards
/// `gateway_url`, its callback downloads at most once per `interval`, no
/// scheduled run.
async fn national_server(gateway_url: &str, certs: &Path, interval: Duration) -> TestServer {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.federation = Some(FederationSettings {
        gateway_url: gateway_url.to_owned(),
        cert: certs.join("DE.pem"),
        key: certs.join("DE.key"),
        ca: certs.join("ca.pem"),
        min_batch: None,
        callback_url: None,
    });
    config.limits.federation_callback_interval = interval;
    TestServer::start_in(config, data_dir).await
}

/// Calls the server's callback for `day` days before today; the status.
async fn call_back(client: &reqwest::Client, server: &TestServer, day: i64) -> StatusCode {
    let date = api::federation::batch::date_of(api::clock::now() - day * 86_400);
    let answer = client
        .get(format!(
            "{}/federation/v1/callback?batchTag=b-{day}&date={date}",
            server.base
        ))
        .send()
        .await
        .expect("an answer");
    StatusCode::from_u16(answer.status().as_u16()).expect("a status")
}

/// Waits until the gateway counted `at_least` requests (at most 10 s).
async fn wait_for(requests: &AtomicUsize, at_least: usize) {
    for _ in 0..200 {
        if requests.load(Ordering::SeqCst) >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the gateway got {} requests, not {at_least}",
        requests.load(Ordering::SeqCst)
    );
}

/// Fifty callbacks at once, then twenty more one after the other over a
/// second, for two dates: every one is answered 202, and they start one
/// download, not one per call nor one per date (the next may start only
/// after `--federation-callback-interval`).
#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_callbacks_starts_one_download_per_interval() {
    let certs = super::certificates(&["DE"]);
    let (gateway_url, requests) = counting_gateway().await;
    let server = national_server(&gateway_url, certs.path(), Duration::from_secs(60)).await;
    let client = reqwest::Client::new();
    let burst = (0..50).map(|_| call_back(&client, &server, 0));
    for status in futures_util::future::join_all(burst).await {
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    wait_for(&requests, 1).await;
    for index in 0..20 {
        assert_eq!(
            call_back(&client, &server, index % 2).await,
            StatusCode::ACCEPTED
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(requests.load(Ordering::SeqCst), 1, "downloads started");
    server.stop().await;
}

/// Calls that arrive while the interval runs are not lost: they are
/// folded into one download when it has passed.
#[tokio::test(flavor = "multi_thread")]
async fn callbacks_within_the_interval_join_the_next_download() {
    let certs = super::certificates(&["DE"]);
    let (gateway_url, requests) = counting_gateway().await;
    let server = national_server(&gateway_url, certs.path(), Duration::from_secs(1)).await;
    let client = reqwest::Client::new();
    assert_eq!(call_back(&client, &server, 0).await, StatusCode::ACCEPTED);
    wait_for(&requests, 1).await;
    for _ in 0..10 {
        assert_eq!(call_back(&client, &server, 0).await, StatusCode::ACCEPTED);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "a download within the interval"
    );
    wait_for(&requests, 2).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "one download for ten calls"
    );
    server.stop().await;
}

/// One address past its budget of callbacks gets 429 with `Retry-After`
/// in the one error shape.
#[tokio::test(flavor = "multi_thread")]
async fn one_address_calling_back_past_its_budget_gets_429() {
    let certs = super::certificates(&["DE"]);
    let (gateway_url, _) = counting_gateway().await;
    let server = national_server(&gateway_url, certs.path(), Duration::from_secs(60)).await;
    let client = reqwest::Client::new();
    let date = api::federation::batch::date_of(api::clock::now());
    let url = format!(
        "{}/federation/v1/callback?batchTag=b&date={date}",
        server.base
    );
    let mut accepted = 0;
    let refused = loop {
        let answer = client.get(&url).send().await.expect("an answer");
        if answer.status() != 202 {
            break answer;
        }
        accepted += 1;
        assert!(accepted <= 130, "no limit after {accepted} calls");
    };
    assert!(accepted >= 120, "refused after {accepted} calls");
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(body["error"], "rate_limited", "{body}");
    server.stop().await;
}
