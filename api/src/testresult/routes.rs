//! `POST /api/v1/lab/results`: labs upload up to 1,000 results at once.

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
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

/// Results of up to 1,000 tests, by hashed GUID or date-of-birth id; a
/// redeemed result never changes, and a result belongs to the lab that
/// first reported it.
#[utoipa::path(post, path = "/api/v1/lab/results", tag = "test results",
    request_body = LabResultsRequest,
    security(("lab_api_key" = [])),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "A result is malformed, or another lab reported the result of one of the tests (code `result_of_another_lab`); the message names it; nothing stored", body = ErrorBody),
        (status = 401, description = "No or unknown lab API key (checked before the body is read)", body = ErrorBody),
        (status = 413, description = "Body over 200,000 bytes", body = ErrorBody),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    request: Request,
) -> AppResult<StatusCode> {
    // The key is checked before a byte of the body is read: a stranger
    // costs one hash and one indexed lookup, never a JSON parse.
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|key| key.trim().to_owned())
        .ok_or(AppError::Unauthorized)?;
    let lab = labs::authenticate(&state.db, &key)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let LabJson(body) = LabJson::<LabResultsRequest>::from_request(request, &state).await?;

    let results = validate::results(&state.db, &body.test_results)?;
    let count = results.len();
    store::upsert(
        &state.db,
        &lab.name,
        &lab.owner(),
        &results,
        crate::clock::now(),
    )
    .await?;
    tracing::info!(results = count, "lab results stored");
    Ok(StatusCode::NO_CONTENT)
}
