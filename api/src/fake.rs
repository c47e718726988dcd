//! Fake requests (`cwa-fake: 1`), response padding and the one delay model
//! (SPEC sections 4 and 10).
//!
//! Phones send dummy requests so that an observer of the network cannot
//! tell who tested positive. For that, a fake answer must look exactly like
//! a real one from outside: same status, same header names, same body size,
//! same timing. [`layer`] wraps each app-facing route:
//!
//! - a fake request is answered without reading its body or touching storage,
//!   with the route's success status and a body of the same shape;
//! - every answer, real or fake, is a JSON object padded with a
//!   `responsePadding` field to [`PADDED_BODY_SIZE`] bytes;
//! - a real answer is delayed by a random jitter, a fake one by the moving
//!   average of real durations plus the same jitter, so both follow one model.
//!
//! Only successful real requests shape the model, each counted at most
//! [`MAX_OBSERVATION`]: a fake imitates a success (its status says so), and
//! a flood of fast failures (or of slow ones) must not drag the delay of
//! fakes away from what real successes take.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use shared::verification::Uuid4;

/// Size of every app-facing response body, in bytes.
pub const PADDED_BODY_SIZE: usize = 256;
/// Upper bound of the random jitter added to every answer.
pub const MAX_JITTER: Duration = Duration::from_millis(20);
/// The most one real request counts for in the delay model.
pub const MAX_OBSERVATION: Duration = Duration::from_secs(2);
/// Header that marks a fake request.
pub const FAKE_HEADER: &str = "cwa-fake";

/// What a fake answer of a route looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeKind {
    /// `POST /version/v1/registrationToken`: 201 with a token.
    RegistrationToken,
    /// `POST /version/v1/testresult`: 200 with a pending result.
    TestResult,
    /// `POST /version/v1/tan`: 201 with a TAN.
    Tan,
    /// `POST /version/v1/diagnosis-keys`: 200 with an empty object.
    Submission,
}

impl FakeKind {
    fn response(self) -> (StatusCode, Value) {
        match self {
            Self::RegistrationToken => (
                StatusCode::CREATED,
                serde_json::json!({ "registrationToken": Uuid4::generate().expose() }),
            ),
            Self::TestResult => (StatusCode::OK, serde_json::json!({ "testResult": 0 })),
            Self::Tan => (
                StatusCode::CREATED,
                serde_json::json!({ "tan": Uuid4::generate().expose() }),
            ),
            Self::Submission => (StatusCode::OK, serde_json::json!({})),
        }
    }

    /// The largest body the real route accepts.
    fn body_limit(self) -> usize {
        match self {
            Self::Submission => crate::extract::MAX_PROTOBUF_BODY,
            Self::RegistrationToken | Self::TestResult | Self::Tan => crate::extract::MAX_JSON_BODY,
        }
    }
}

/// Moving averages of real request durations, per route.
#[derive(Debug, Default)]
pub struct DelayModel {
    averages: Mutex<HashMap<FakeKind, f64>>,
}

impl DelayModel {
    /// Weight of the newest observation in the moving average.
    const ALPHA: f64 = 0.1;

    fn record(&self, kind: FakeKind, elapsed: Duration) {
        let seconds = elapsed.min(MAX_OBSERVATION).as_secs_f64();
        let mut averages = self
            .averages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let average = averages.entry(kind).or_insert(seconds);
        *average += Self::ALPHA * (seconds - *average);
    }

    fn average(&self, kind: FakeKind) -> Duration {
        let averages = self
            .averages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Duration::from_secs_f64(averages.get(&kind).copied().unwrap_or(0.005))
    }
}

fn jitter() -> Duration {
    let bytes = shared::random::bytes::<4>();
    MAX_JITTER.mul_f64(f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX))
}

/// The middleware: answers fakes, pads every answer, applies the delay model.
pub async fn layer(
    State((model, kind)): State<(Arc<DelayModel>, FakeKind)>,
    request: Request,
    next: Next,
) -> Response {
    let fake = request
        .headers()
        .get(FAKE_HEADER)
        .is_some_and(|value| value.as_bytes() == b"1");
    if fake {
        // The body is read like a real one (so the connection behaves the
        // same: kept alive, or refused when too large or too slow) but
        // never parsed.
        if let Err(refused) = crate::extract::read_body(request, kind.body_limit()).await {
            return pad_response(refused.into_response()).await;
        }
        tokio::time::sleep(model.average(kind) + jitter()).await;
        let (status, body) = kind.response();
        return json_response(status, padded(body));
    }
    let started = Instant::now();
    let response = next.run(request).await;
    if response.status().is_success() {
        model.record(kind, started.elapsed());
    }
    let response = pad_response(response).await;
    tokio::time::sleep(jitter()).await;
    response
}

/// Re-encodes a JSON object answer with padding; other answers pass unchanged.
async fn pad_response(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => json_response(parts.status, padded(value)),
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Serialises a JSON object with a `responsePadding` field that brings it to
/// [`PADDED_BODY_SIZE`] bytes (or leaves it as it is when already longer).
pub fn padded(value: Value) -> Vec<u8> {
    let mut object = match value {
        Value::Object(object) => object,
        other => {
            let mut object = Map::new();
            object.insert("value".into(), other);
            object
        }
    };
    object.insert("responsePadding".into(), Value::String(String::new()));
    let bare = serde_json::to_vec(&object).expect("a JSON value serialises");
    let fill = PADDED_BODY_SIZE.saturating_sub(bare.len());
    object.insert("responsePadding".into(), Value::String("0".repeat(fill)));
    serde_json::to_vec(&object).expect("a JSON value serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_brings_every_object_to_the_same_size() {
        for value in [
            serde_json::json!({}),
            serde_json::json!({"testResult": 2, "sc": 1_764_288_000}),
            serde_json::json!({"registrationToken": Uuid4::generate().expose()}),
        ] {
            assert_eq!(padded(value).len(), PADDED_BODY_SIZE);
        }
        let long = serde_json::json!({"message": "x".repeat(400)});
        assert!(padded(long).len() > PADDED_BODY_SIZE);
    }

    #[test]
    fn delay_model_follows_real_durations() {
        let model = DelayModel::default();
        assert_eq!(model.average(FakeKind::Tan), Duration::from_millis(5));
        model.record(FakeKind::Tan, Duration::from_millis(100));
        assert_eq!(model.average(FakeKind::Tan), Duration::from_millis(100));
        for _ in 0..200 {
            model.record(FakeKind::Tan, Duration::from_millis(10));
        }
        let average = model.average(FakeKind::Tan).as_secs_f64();
        assert!((average - 0.010).abs() < 0.001, "{average}");
        // One very slow request moves it by at most a tenth of the bound.
        model.record(FakeKind::Tan, Duration::from_secs(600));
        assert!(model.average(FakeKind::Tan) < Duration::from_millis(250));
    }

    async fn post(app: &axum::Router, path: &str) -> StatusCode {
        use tower_service::Service;
        let request = axum::http::Request::post(path)
            .body(Body::empty())
            .expect("a request");
        app.clone()
            .call(request)
            .await
            .expect("infallible")
            .status()
    }

    #[tokio::test]
    async fn a_flood_of_fast_failures_does_not_change_the_delay_of_fakes() {
        let model = Arc::new(DelayModel::default());
        let app = axum::Router::new()
            .route(
                "/success",
                axum::routing::post(|| async {
                    tokio::time::sleep(Duration::from_millis(60)).await;
                    (StatusCode::CREATED, axum::Json(serde_json::json!({})))
                }),
            )
            .route(
                "/failure",
                axum::routing::post(|| async {
                    crate::error::AppError::bad_request("invalid", "refused at once")
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                (Arc::clone(&model), FakeKind::Tan),
                layer,
            ));
        assert_eq!(post(&app, "/success").await, StatusCode::CREATED);
        let before = model.average(FakeKind::Tan);
        assert!(before >= Duration::from_millis(60), "{before:?}");

        let flood = (0..500).map(|_| post(&app, "/failure"));
        for status in futures_util::future::join_all(flood).await {
            assert_eq!(status, StatusCode::BAD_REQUEST);
        }
        assert_eq!(model.average(FakeKind::Tan), before);
    }
}
