//! The calls between services: what one service asks of another, the
//! wire types of those calls, and their HTTP clients. In one process they
//! are plain function calls (each service implements the trait it answers:
//! [`crate::verification::reservation::LocalTanVerifier`],
//! [`crate::testresult::LocalTestResults`]); when the services run as
//! separate processes the calls go to a separate internal listener, and each
//! carries the shared service token (`Authorization: Bearer TOKEN`,
//! checked by [`guarded`]).
//!
//! - `POST /version/v1/tan/verify` `{"tan"}`: confirms and burns a TAN (submission).
//! - `POST /version/v1/tan/reserve`, `/confirm`, `/release`: a TAN spent only
//!   once the keys are stored (submission; [`crate::verification::reservation`]).
//! - `POST /version/v1/tan/teletan` `{"issuer"}`: issues a teleTAN (portal).
//! - `POST /api/v1/app/result` `{"id"}`: a test result (verification). Here
//!   `id` is the stored form: the keyed hash of the hashed GUID, so the
//!   verification service never needs the hashed GUID after registration.
//!
//! The server composes the internal router from the services' own routes
//! (`verification::internal_routes`, `testresult::routes::internal_routes`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::verification::SecretHash;
use shared::verification::wire::{AppResultRequest, AppResultResponse, TanVerifyRequest};

use crate::config::ServiceToken;
use crate::error::{AppError, AppResult};

/// A boxed future, for calls between services behind trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The HTTP client for calls to another service's internal listener.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a plain HTTP client builds")
}

/// `router` admitting only calls that carry `token`.
pub fn guarded(router: Router, token: Arc<ServiceToken>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(token, require_token))
}

async fn require_token(
    State(token): State<Arc<ServiceToken>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "));
    match presented {
        Some(presented) if token.matches(presented) => next.run(request).await,
        _ => AppError::Unauthorized.into_response(),
    }
}

/// The verification service as the submission service sees it.
pub trait TanVerifier: Send + Sync {
    /// Whether the TANs live in this process's database: then
    /// [`store_with_tan`] burns the TAN in the transaction of the keys
    /// instead of reserving it.
    fn shares_database(&self) -> bool {
        false
    }

    /// Holds `tan` for this submission: the reservation id, or `None` when
    /// it is unknown, expired, used or held by another submission.
    fn reserve(&self, tan: String) -> BoxFuture<'_, AppResult<Option<String>>>;

    /// Burns a held TAN (its keys are stored); `false` when the reservation
    /// no longer holds it.
    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>>;

    /// Frees a held TAN unspent (its keys could not be stored).
    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>>;
}

/// Seconds a reservation holds a TAN unless confirmed or released: well
/// above the internal calls' timeout (10 s) plus storing 14 keys.
pub const RESERVATION_SECONDS: i64 = 60;

/// Answer to `POST /version/v1/tan/reserve`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TanReservationResponse {
    /// The reservation id (a UUID v4) that confirms or releases the TAN.
    pub reservation: String,
}

/// Body of `POST /version/v1/tan/confirm` and `/release`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TanReservationRequest {
    /// The reserved TAN.
    pub tan: String,
    /// The id `reserve` answered.
    pub reservation: String,
}

/// The HTTP implementation: the verification service's internal listener,
/// called with the service token.
#[derive(Debug, Clone)]
pub struct HttpTanVerifier {
    client: reqwest::Client,
    base: String,
    token: Arc<ServiceToken>,
}

impl HttpTanVerifier {
    /// Calls the internal listener at `base` (e.g. `http://10.0.0.5:9090`).
    pub fn new(base: &str, token: Arc<ServiceToken>) -> Self {
        Self {
            client: crate::internal::client(),
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// Posts `body` to the verification service's `path`: the answer of a
    /// 200, `None` for a 404, an error for anything else.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> AppResult<Option<T>> {
        let unavailable = |what: &str| AppError::Internal(format!("verification service: {what}"));
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await
            .map_err(|error| unavailable(&error.without_url().to_string()))?;
        match response.status() {
            StatusCode::OK => {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|error| unavailable(&error.without_url().to_string()))?;
                // An empty 200 reads as JSON null (for `()`).
                let bytes = if bytes.is_empty() {
                    &b"null"[..]
                } else {
                    &bytes[..]
                };
                serde_json::from_slice(bytes)
                    .map(Some)
                    .map_err(|error| unavailable(&error.to_string()))
            }
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(unavailable(&format!("{path} answered {status}"))),
        }
    }
}

impl TanVerifier for HttpTanVerifier {
    fn reserve(&self, tan: String) -> BoxFuture<'_, AppResult<Option<String>>> {
        Box::pin(async move {
            let answer: Option<TanReservationResponse> = self
                .call("/version/v1/tan/reserve", &TanVerifyRequest { tan })
                .await?;
            Ok(answer.map(|answer| answer.reservation))
        })
    }

    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let body = TanReservationRequest { tan, reservation };
            let answer: Option<()> = self.call("/version/v1/tan/confirm", &body).await?;
            Ok(answer.is_some())
        })
    }

    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let body = TanReservationRequest { tan, reservation };
            let answer: Option<()> = self.call("/version/v1/tan/release", &body).await?;
            Ok(answer.is_some())
        })
    }
}

/// The test result service as the verification service sees it: the
/// internal `/api/v1/app/result` call, in-process or over HTTP.
pub trait TestResults: Send + Sync {
    /// The result stored under `id_hash` (the keyed hash of a hashed GUID);
    /// an unknown id gets a pending entry.
    fn result(&self, id_hash: SecretHash) -> BoxFuture<'_, AppResult<AppResultResponse>>;

    /// Whether the results live in the verification service's own database
    /// (in-process): then a registration creates the pending entry in its
    /// own transaction instead of calling [`TestResults::result`].
    fn shares_database(&self) -> bool {
        false
    }
}

/// The HTTP implementation: the test result service in another process,
/// reached on its internal listener with the service token.
#[derive(Debug, Clone)]
pub struct HttpTestResults {
    client: reqwest::Client,
    url: String,
    token: std::sync::Arc<crate::config::ServiceToken>,
}

impl HttpTestResults {
    /// Calls the internal listener at `base` (e.g. `http://10.0.0.5:9090`).
    pub fn new(base: &str, token: std::sync::Arc<crate::config::ServiceToken>) -> Self {
        Self {
            client: crate::internal::client(),
            url: format!("{}/api/v1/app/result", base.trim_end_matches('/')),
            token,
        }
    }
}

impl TestResults for HttpTestResults {
    fn result(&self, id_hash: SecretHash) -> BoxFuture<'_, AppResult<AppResultResponse>> {
        Box::pin(async move {
            let unavailable = |what: &str| {
                crate::error::AppError::Internal(format!("test result service: {what}"))
            };
            let response = self
                .client
                .post(&self.url)
                .bearer_auth(self.token.expose())
                .json(&AppResultRequest {
                    id: id_hash.to_hex(),
                })
                .send()
                .await
                .map_err(|error| unavailable(&error.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(unavailable(&format!("answered {}", response.status())));
            }
            response
                .json::<AppResultResponse>()
                .await
                .map_err(|error| unavailable(&error.without_url().to_string()))
        })
    }
}
