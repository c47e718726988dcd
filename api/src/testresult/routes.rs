//! `POST /api/v1/lab/results`: labs upload up to 1,000 results at once.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use shared::verification::wire::{ErrorBody, LabResultsRequest};

use super::{labs, store, validate};
use crate::error::{AppError, AppResult};
use crate::extract::LabJson;
use crate::server::AppState;

/// The routes labs call.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/lab/results", post(upload))
}

/// Results of up to 1,000 tests, by hashed GUID; a redeemed result never changes.
#[utoipa::path(post, path = "/api/v1/lab/results", tag = "test results",
    request_body = LabResultsRequest,
    security(("lab_api_key" = [])),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "A result is malformed (the message names it); nothing stored", body = ErrorBody),
        (status = 401, description = "No or unknown lab API key", body = ErrorBody),
        (status = 413, description = "Body over 200,000 bytes", body = ErrorBody),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    LabJson(request): LabJson<LabResultsRequest>,
) -> AppResult<StatusCode> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthorized)?;
    let lab = labs::authenticate(&state.db, key.trim())
        .await?
        .ok_or(AppError::Unauthorized)?;

    let results = validate::results(&state.db, &request.test_results)?;
    let count = results.len();
    store::upsert(&state.db, &lab, &results, crate::clock::now()).await?;
    tracing::info!(results = count, "lab results stored");
    Ok(StatusCode::NO_CONTENT)
}
