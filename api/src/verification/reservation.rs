//! TAN reservations: how a submission service in another process spends a
//! TAN only when its keys are stored (internal routes, with the service token).
//!
//! 1. `POST /version/v1/tan/reserve` `{"tan"}`: the TAN is held for
//!    [`RESERVATION_SECONDS`] under a new reservation id (200
//!    `{"reservation"}`), or 404 when it is unknown, expired, used or held.
//! 2. The submission service stores the keys in one transaction of its own.
//! 3. `POST /version/v1/tan/confirm` `{"tan", "reservation"}` burns it; when
//!    the keys could not be stored, `POST /version/v1/tan/release` frees it
//!    at once. A reservation that neither confirms nor releases (the
//!    submission process died) ends by itself, so a TAN is never lost.
//!
//! The handlers answer with [`LocalTanVerifier`], the verification
//! service's own side of the protocol. In one process none of this runs: the
//! TAN is burned in the transaction that stores the keys
//! ([`crate::submission::tan`]).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::verification::wire::{ErrorBody, TanVerifyRequest};

use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::server::AppState;
use crate::submission::tan::{LocalTanVerifier, TanVerifier};

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

fn not_found() -> AppError {
    AppError::NotFound("unknown, expired, used or reserved TAN")
}

/// Holds a valid TAN for a submission in another process.
#[utoipa::path(post, path = "/version/v1/tan/reserve", tag = "internal",
    request_body = TanVerifyRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Held for 60 s under the answered reservation id", body = TanReservationResponse),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "Unknown, expired, used or held by another submission", body = ErrorBody),
    ))]
pub(crate) async fn reserve(
    State(state): State<AppState>,
    Json(request): Json<TanVerifyRequest>,
) -> AppResult<JsonResponse<TanReservationResponse>> {
    let reservation = LocalTanVerifier::new(state.db.clone())
        .reserve(request.tan)
        .await?
        .ok_or_else(not_found)?;
    Ok(JsonResponse(TanReservationResponse { reservation }))
}

/// Burns a reserved TAN: its keys are stored.
#[utoipa::path(post, path = "/version/v1/tan/confirm", tag = "internal",
    request_body = TanReservationRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Burned"),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "This reservation no longer holds the TAN", body = ErrorBody),
    ))]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Json(request): Json<TanReservationRequest>,
) -> AppResult<StatusCode> {
    let verifier = LocalTanVerifier::new(state.db.clone());
    if verifier.confirm(request.tan, request.reservation).await? {
        tracing::info!("TAN confirmed and burned");
        Ok(StatusCode::OK)
    } else {
        Err(not_found())
    }
}

/// Frees a reserved TAN unspent: its keys could not be stored.
#[utoipa::path(post, path = "/version/v1/tan/release", tag = "internal",
    request_body = TanReservationRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Free again"),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "This reservation no longer holds the TAN", body = ErrorBody),
    ))]
pub(crate) async fn release(
    State(state): State<AppState>,
    Json(request): Json<TanReservationRequest>,
) -> AppResult<StatusCode> {
    let verifier = LocalTanVerifier::new(state.db.clone());
    if verifier.release(request.tan, request.reservation).await? {
        Ok(StatusCode::OK)
    } else {
        Err(not_found())
    }
}
