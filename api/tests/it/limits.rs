//! What a stranger can make the server spend: every listener's connection
//! limit and time bounds (header, body, idle, TLS handshake), and the
//! per-client rate limits of the app-facing routes.

use std::time::{Duration, Instant};

use api::config::{GatewayTls, ServerConfig, StorageConfig};
use api::limits::Limits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestServer;

const TOKEN: &str = "limits-test-service-token-0123456789";

/// A server with `limits` and an internal listener.
async fn server_with(limits: Limits) -> TestServer {
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.internal_listen = Some("127.0.0.1:0".parse().expect("address"));
    config.service_token = Some(TOKEN.parse().expect("a long token"));
    config.limits = limits;
    TestServer::start_in(config, data_dir).await
}

/// Limits with short time bounds for tests.
fn short(header: u64, body: u64, idle: u64) -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(header),
        body_read_timeout: Duration::from_millis(body),
        idle_timeout: Duration::from_millis(idle),
        tls_handshake_timeout: Duration::from_millis(header),
        ..Limits::default()
    }
}

fn address(base: &str) -> String {
    base.trim_start_matches("http://")
        .trim_start_matches("https://localhost:")
        .to_owned()
}

/// Reads until the server closes the connection (or `within` passes: `None`);
/// answers how long it took and what arrived.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = within.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), received)),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed_after_the_header_timeout() {
    let server = server_with(short(600, 30_000, 30_000)).await;
    let mut stream = TcpStream::connect(address(&server.base)).await.unwrap();
    stream
        .write_all(b"POST /version/v1/tan HTTP/1.1\r\nHost: warn\r\n")
        .await
        .unwrap();
    // A byte every 100 ms: activity does not extend the head's deadline.
    let (mut reader, mut writer) = stream.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b"X").await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buffer)).await {
            Err(_) => break false,
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(_)) => {}
        }
    };
    drip.abort();
    assert!(closed, "the half-sent head was still open after 5 s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let server = server_with(short(500, 30_000, 30_000)).await;
    let mut stream = TcpStream::connect(address(&server.base)).await.unwrap();
    let (took, _) = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the silent connection was still open after 5 s");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = server_with(short(30_000, 30_000, 700)).await;
    let mut stream = TcpStream::connect(address(&server.base)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: warn\r\n\r\n")
        .await
        .unwrap();
    let (took, answer) = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection was still open after 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_sent_too_slowly_is_refused_with_408() {
    let server = server_with(short(30_000, 700, 30_000)).await;
    let mut stream = TcpStream::connect(address(&server.base)).await.unwrap();
    stream
        .write_all(
            b"POST /version/v1/registrationToken HTTP/1.1\r\nHost: warn\r\n\
              Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
        )
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let started = Instant::now();
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => answer.extend_from_slice(&buffer[..read]),
            other => panic!("no answer to the slow body: {other:?}"),
        }
    }
    drip.abort();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
    server.stop().await;
}

#[tokio::test]
async fn at_the_connection_limit_clients_wait_health_checks_answer_and_the_server_recovers() {
    let limits = Limits {
        max_connections: 4,
        internal_max_connections: 4,
        ..short(1_500, 30_000, 30_000)
    };
    let server = server_with(limits).await;
    let internal = server.internal.clone().expect("an internal listener");
    // Four silent connections hold every public slot.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(address(&server.base)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let client = reqwest::Client::new();
    let waiting = tokio::spawn({
        let url = format!("{}/healthz", server.base);
        let client = client.clone();
        async move {
            let answer = client.get(url).send().await.map(|answer| answer.status());
            (answer, started.elapsed())
        }
    });
    // The internal listener has its own budget: health and metrics answer.
    for path in ["/healthz", "/metrics"] {
        let answer = client
            .get(format!("{internal}{path}"))
            .timeout(Duration::from_millis(500))
            .send()
            .await
            .unwrap_or_else(|error| panic!("internal {path} did not answer: {error}"));
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
    }
    assert!(
        !waiting.is_finished(),
        "a fifth public client was served at once"
    );

    // The silent ones are closed at the header timeout; the waiting client is served.
    let (answer, took) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiting client was never served")
        .unwrap();
    assert_eq!(answer.expect("an answer"), StatusCode::OK);
    assert!(took >= Duration::from_millis(800), "{took:?}");
    let again = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    drop(silent);
    server.stop().await;
}

#[tokio::test]
async fn a_silent_tls_connection_to_the_gateway_is_closed() {
    let certs = crate::federation::certificates(&["DE"]);
    let data_dir = tempfile::tempdir().expect("temporary folder");
    let storage = StorageConfig {
        data_dir: data_dir.path().join("data"),
        database_url: None,
        hash_key_file: None,
    };
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("address"), storage);
    config.services = "gateway".parse().expect("a service");
    config.gateway_tls = Some(GatewayTls {
        cert: certs.path().join("gateway.pem"),
        key: certs.path().join("gateway.key"),
        ca: certs.path().join("ca.pem"),
        allow_local_callbacks: true,
    });
    config.limits = short(500, 30_000, 30_000);
    let server = TestServer::start_in(config, data_dir).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let (took, _) = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the silent TLS connection was still open after 5 s");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    server.stop().await;
}

/// Posts `body` to a phone route from this machine; answers status,
/// `Retry-After`, header names and the body.
async fn phone(
    base: &str,
    path: &str,
    fake: bool,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<String>, Vec<String>, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("cwa-fake", if fake { "1" } else { "0" })
        .json(&json!({"registrationToken": "not-a-token"}));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    let answer = request.send().await.expect("an answer");
    let status = answer.status();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    let mut names: Vec<String> = answer
        .headers()
        .keys()
        .map(|name| name.to_string())
        .collect();
    names.sort();
    let body = answer.json().await.unwrap_or(Value::Null);
    (status, retry_after, names, body)
}

fn rate_limited(per_minute: u32, hops: usize) -> Limits {
    Limits {
        phone_requests_per_minute: per_minute,
        lab_requests_per_minute: per_minute,
        trusted_proxy_hops: hops,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_client_past_its_budget_gets_429_with_retry_after_in_the_error_shape() {
    let server = server_with(rate_limited(5, 0)).await;
    for _ in 0..5 {
        let (status, ..) = phone(&server.base, "/version/v1/testresult", false, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, retry_after, _, body) =
        phone(&server.base, "/version/v1/testresult", false, None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=12).contains(&retry_after), "{retry_after}");
    assert_eq!(body["error"], "rate_limited", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Each route has its own budget.
    let (status, ..) = phone(&server.base, "/version/v1/tan", false, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The lab API too.
    let lab = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let answer = lab
            .post(format!("{}/api/v1/lab/results", server.base))
            .json(&json!({"labId": "x", "testResults": []}))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status());
    }
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    server.stop().await;
}

#[tokio::test]
async fn fake_and_real_requests_spend_one_budget_and_are_refused_alike() {
    let server = server_with(rate_limited(4, 0)).await;
    let path = "/version/v1/tan";
    for fake in [true, false, true, false] {
        let (status, ..) = phone(&server.base, path, fake, None).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
    }
    let (fake_status, _, fake_names, mut fake_body) = phone(&server.base, path, true, None).await;
    let (real_status, _, real_names, mut real_body) = phone(&server.base, path, false, None).await;
    assert_eq!(fake_status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(real_status, fake_status);
    assert_eq!(real_names, fake_names);
    // Only the seconds to wait may differ.
    fake_body["message"] = Value::Null;
    real_body["message"] = Value::Null;
    assert_eq!(real_body, fake_body);
    server.stop().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_when_the_operator_trusts_a_proxy() {
    let path = "/version/v1/testresult";
    let untrusted = server_with(rate_limited(2, 0)).await;
    let mut statuses = Vec::new();
    for client in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        statuses.push(phone(&untrusted.base, path, false, Some(client)).await.0);
    }
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    untrusted.stop().await;

    let behind_proxy = server_with(rate_limited(2, 1)).await;
    for client in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"] {
        let (status, ..) = phone(&behind_proxy.base, path, false, Some(client)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{client}");
    }
    behind_proxy.stop().await;
}

/// A request refused before its body is read (a lab upload without a lab
/// key: 401) still gets its answer while the client goes on sending a body
/// far larger than the kernel's buffers: the server reads and drops the
/// rest before it closes (a lingering close). Closing at once would answer
/// the unread bytes with a reset: the client's writes would fail and, as
/// often as not, the answer would be lost with them.
#[tokio::test]
async fn a_request_refused_before_its_body_still_gets_its_answer() {
    let server = server_with(Limits::default()).await;
    let body_size: usize = 24 * 1024 * 1024;
    for _ in 0..3 {
        let stream = TcpStream::connect(address(&server.base))
            .await
            .expect("connect");
        let (mut reader, mut writer) = stream.into_split();
        let sending = tokio::spawn(async move {
            let head = format!(
                "POST /api/v1/lab/results HTTP/1.1\r\nhost: localhost\r\n\
                 content-type: application/json\r\ncontent-length: {body_size}\r\n\r\n"
            );
            writer.write_all(head.as_bytes()).await?;
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..body_size / chunk.len() {
                writer.write_all(&chunk).await?;
            }
            writer.flush().await
        });
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer))
            .await
            .expect("the server closes within its linger time")
            .expect("the answer is read without a reset");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "answer: {}",
            answer.lines().next().unwrap_or_default()
        );
        sending
            .await
            .expect("the sender ends")
            .expect("every byte of the body is taken (no reset)");
    }
    server.stop().await;
}
