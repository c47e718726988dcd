//! The verification service's answers to the other services, served on
//! the internal listener behind the service token ([`crate::internal`]):
//! burning a TAN, the TAN reservations of a submission service in another
//! process ([`super::reservation`]), and teleTANs for a portal elsewhere.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json as JsonResponse, Router};
use serde::{Deserialize, Serialize};
use shared::verification::Uuid4;
use shared::verification::wire::{ErrorBody, TanVerifyRequest, TeleTanResponse};

use super::{VerificationConfig, VerificationState, reservation, store, teletan};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::extract::Json;

/// The verification service's internal routes.
pub fn routes() -> Router<VerificationState> {
    Router::new()
        .route("/version/v1/tan/verify", post(verify_tan))
        .route("/version/v1/tan/reserve", post(reservation::reserve))
        .route("/version/v1/tan/confirm", post(reservation::confirm))
        .route("/version/v1/tan/release", post(reservation::release))
        .route("/version/v1/tan/teletan", post(issue_teletan))
}

/// Body of `POST /version/v1/tan/teletan`: who asks (a portal user).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeleTanRequest {
    /// The portal user, for the per-user rate limit.
    pub issuer: String,
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
    State(db): State<Db>,
    Json(request): Json<TanVerifyRequest>,
) -> AppResult<StatusCode> {
    burn_tan(&db, &request.tan).await.map(|()| StatusCode::OK)
}

/// Confirms and burns a TAN: 404 when it is unknown, expired or used.
pub async fn burn_tan(db: &Db, tan: &str) -> AppResult<()> {
    let not_found = || AppError::NotFound("unknown, expired or used TAN");
    let tan = Uuid4::parse(tan).map_err(|_| not_found())?;
    if store::burn_tan(db, &db.hash(&tan), crate::clock::now()).await? {
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
    State(db): State<Db>,
    State(rules): State<Arc<VerificationConfig>>,
    Json(request): Json<TeleTanRequest>,
) -> AppResult<(StatusCode, JsonResponse<TeleTanResponse>)> {
    let issuer = request.issuer.trim();
    if issuer.is_empty() {
        return Err(AppError::bad_request(
            "issuer",
            "the issuing portal user is missing",
        ));
    }
    let teletan = teletan::issue(&db, &rules, issuer, crate::clock::now()).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(TeleTanResponse {
            value: teletan.expose().to_owned(),
        }),
    ))
}
