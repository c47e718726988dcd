//! `POST /api/v1/lab/results`: labs upload up to 1,000 results at once.

use axum::Json as JsonResponse;
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::post;
use shared::verification::SecretHash;
use shared::verification::wire::{
    AppResultRequest, AppResultResponse, ErrorBody, LabResultsRequest,
};

use super::{labs, store, validate};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::extract::{Json, LabJson};

/// The routes labs call.
pub fn routes() -> Router<Db> {
    Router::new().route("/api/v1/lab/results", post(upload))
}

/// The test result service's internal route (the verification service in
/// another process asks), behind the service token ([`crate::internal`]).
pub fn internal_routes() -> Router<Db> {
    Router::new().route("/api/v1/app/result", post(app_result))
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
pub(crate) async fn upload(State(db): State<Db>, request: Request) -> AppResult<StatusCode> {
    // The key is checked before a byte of the body is read: a stranger
    // costs one hash and one indexed lookup, never a JSON parse.
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|key| key.trim().to_owned())
        .ok_or(AppError::Unauthorized)?;
    let lab = labs::authenticate(&db, &key)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let LabJson(body) = LabJson::<LabResultsRequest>::from_request(request, &db).await?;

    let results = validate::results(&db, &body.test_results)?;
    let count = results.len();
    store::upsert(&db, &lab.name, &lab.owner(), &results, crate::clock::now()).await?;
    tracing::info!(results = count, "lab results stored");
    Ok(StatusCode::NO_CONTENT)
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
    State(db): State<Db>,
    Json(request): Json<AppResultRequest>,
) -> AppResult<JsonResponse<AppResultResponse>> {
    let id = SecretHash::from_hex(&request.id).ok_or_else(|| {
        AppError::bad_request("invalid_id", "id must be 64 hexadecimal characters")
    })?;
    let result = store::get_or_create(&db, &id, crate::clock::now()).await?;
    Ok(JsonResponse(result))
}
