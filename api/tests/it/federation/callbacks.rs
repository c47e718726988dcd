//! Callbacks and what a stranger can make them cost: a callback target
//! that answers without end (the gateway reads 64 KiB of it).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::gateway::Gateway;
use super::{client, keys, signed, upload};

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
