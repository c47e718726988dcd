//! `POST /api/v1/lab/results`: labs upload up to 1,000 results at once.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use shared::verification::wire::{
    ErrorBody, LabResultsRequest, MAX_LAB_RESULTS_PER_REQUEST, TestResult,
};
use shared::verification::{HashedGuid, Secret};

use super::{labs, store};
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

    let count = request.test_results.len();
    if count == 0 || count > MAX_LAB_RESULTS_PER_REQUEST {
        return Err(AppError::bad_request(
            "batch_size",
            format!("send 1 to {MAX_LAB_RESULTS_PER_REQUEST} results, not {count}"),
        ));
    }
    let results = request
        .test_results
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let guid = HashedGuid::parse(&item.id)
                .map_err(|error| AppError::bad_request("invalid_id", format!("result {index}: {error}")))?;
            let result = TestResult::try_from(item.result)
                .ok()
                .filter(|result| result.is_lab_result())
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_result",
                        format!("result {index}: result must be 1 (negative), 2 (positive) or 3 (invalid)"),
                    )
                })?;
            if item.sc.is_some_and(|sc| sc < 0) {
                return Err(AppError::bad_request(
                    "invalid_sample_time",
                    format!("result {index}: sc must be unix seconds"),
                ));
            }
            Ok(store::NewResult {
                id_hash: guid.secret_hash().to_hex(),
                result,
                sample_collected_at: item.sc,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    store::upsert(&state.db, &lab, &results, crate::clock::now()).await?;
    tracing::info!(results = count, "lab results stored");
    Ok(StatusCode::NO_CONTENT)
}
