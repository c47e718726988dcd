//! The internal endpoints: calls between services, never on the public
//! listener. In one process they are plain function calls (through the
//! traits of each service); when the services run as separate processes
//! they are served on a separate internal listener, and every call carries
//! the shared service token (`Authorization: Bearer TOKEN`).
//!
//! - `POST /version/v1/tan/verify` `{"tan"}`: confirms and burns a TAN (submission).
//! - `POST /version/v1/tan/reserve`, `/confirm`, `/release`: a TAN spent only
//!   once the keys are stored (submission; [`crate::verification::reservation`]).
//! - `POST /version/v1/tan/teletan` `{"issuer"}`: issues a teleTAN (portal).
//! - `POST /api/v1/app/result` `{"id"}`: a test result (verification). Here
//!   `id` is the stored form: the keyed hash of the hashed GUID, so the
//!   verification service never needs the hashed GUID after registration.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json as JsonResponse, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::verification::Uuid4;
use shared::verification::wire::{
    AppResultRequest, AppResultResponse, ErrorBody, TanVerifyRequest, TeleTanResponse,
};
use subtle::ConstantTimeEq;

use crate::config::{Service, Services};
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::server::AppState;
use crate::verification::{reservation, store, teletan};

/// Body of `POST /version/v1/tan/teletan`: who asks (a portal user).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeleTanRequest {
    /// The portal user, for the per-user rate limit.
    pub issuer: String,
}

/// The internal routes of the services this process runs, guarded by `token`.
pub fn routes(token: Arc<ServiceToken>, services: &Services) -> Router<AppState> {
    let mut router = Router::new();
    if services.runs(Service::Verification) {
        router = router
            .route("/version/v1/tan/verify", post(verify_tan))
            .route("/version/v1/tan/reserve", post(reservation::reserve))
            .route("/version/v1/tan/confirm", post(reservation::confirm))
            .route("/version/v1/tan/release", post(reservation::release))
            .route("/version/v1/tan/teletan", post(issue_teletan));
    }
    if services.runs(Service::Testresult) {
        router = router.route("/api/v1/app/result", post(app_result));
    }
    router.layer(axum::middleware::from_fn_with_state(token, require_token))
}

/// The HTTP client for calls to another service's internal listener.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a plain HTTP client builds")
}

/// The secret shared by the services of one deployment.
pub struct ServiceToken(Vec<u8>);

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceToken(…)")
    }
}

impl ServiceToken {
    /// Wraps the configured token; it must be long enough to resist guessing.
    pub fn new(token: &str) -> Result<Self, &'static str> {
        if token.len() < 32 {
            return Err("the service token must have at least 32 characters");
        }
        Ok(Self(token.as_bytes().to_vec()))
    }

    /// The token as sent.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Compares in constant time (over the digests, so length leaks nothing).
    fn matches(&self, presented: &[u8]) -> bool {
        Sha256::digest(&self.0)
            .ct_eq(&Sha256::digest(presented))
            .into()
    }
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

/// Confirms and burns a TAN (the submission service asks).
#[utoipa::path(post, path = "/version/v1/tan/verify", tag = "internal",
    request_body = TanVerifyRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Valid; now burned"),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "Unknown, expired or used", body = ErrorBody),
    ))]
pub(crate) async fn verify_tan(
    State(state): State<AppState>,
    Json(request): Json<TanVerifyRequest>,
) -> AppResult<StatusCode> {
    burn_tan(&state, &request.tan)
        .await
        .map(|()| StatusCode::OK)
}

/// Confirms and burns a TAN: 404 when it is unknown, expired or used.
pub async fn burn_tan(state: &AppState, tan: &str) -> AppResult<()> {
    let not_found = || AppError::NotFound("unknown, expired or used TAN");
    let tan = Uuid4::parse(tan).map_err(|_| not_found())?;
    if store::burn_tan(&state.db, &state.db.hash(&tan), crate::clock::now()).await? {
        tracing::info!("TAN confirmed and burned");
        Ok(())
    } else {
        Err(not_found())
    }
}

/// Issues a teleTAN for a portal user (rate limited per user and globally).
#[utoipa::path(post, path = "/version/v1/tan/teletan", tag = "internal",
    request_body = TeleTanRequest,
    security(("service_token" = [])),
    responses(
        (status = 201, description = "A teleTAN, valid 1 hour", body = TeleTanResponse),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 429, description = "Rate limit; Retry-After says when", body = ErrorBody),
    ))]
pub(crate) async fn issue_teletan(
    State(state): State<AppState>,
    Json(request): Json<TeleTanRequest>,
) -> AppResult<(StatusCode, JsonResponse<TeleTanResponse>)> {
    let issuer = request.issuer.trim();
    if issuer.is_empty() {
        return Err(AppError::bad_request(
            "issuer",
            "the issuing portal user is missing",
        ));
    }
    let teletan =
        teletan::issue(&state.db, &state.verification, issuer, crate::clock::now()).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(TeleTanResponse {
            value: teletan.expose().to_owned(),
        }),
    ))
}

/// A test result by the SHA-256 of the hashed GUID (the verification service asks).
#[utoipa::path(post, path = "/api/v1/app/result", tag = "internal",
    request_body = AppResultRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "The result; an unknown id gets a pending entry", body = AppResultResponse),
        (status = 400, description = "id is not 64 hex digits", body = ErrorBody),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
    ))]
pub(crate) async fn app_result(
    State(state): State<AppState>,
    Json(request): Json<AppResultRequest>,
) -> AppResult<JsonResponse<AppResultResponse>> {
    let valid = request.id.len() == 64 && request.id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(AppError::bad_request(
            "invalid_id",
            "id must be 64 hexadecimal characters",
        ));
    }
    let id = request.id.to_ascii_lowercase();
    let result =
        crate::testresult::store::get_or_create(&state.db, &id, crate::clock::now()).await?;
    Ok(JsonResponse(result))
}
