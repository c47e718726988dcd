//! `POST /version/v1/diagnosis-keys` (SPEC section 4).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use proto::submission::SubmissionPayload;
use shared::verification::wire::ErrorBody;

use super::{SubmissionState, tan, validate};
use crate::error::{AppError, AppResult};
use crate::extract::{Binary, Protobuf};
use crate::fake::{self, DelayModel, FakeKind};

/// The header that carries the TAN.
pub const TAN_HEADER: &str = "cwa-authorization";

/// The submission route, behind the fake-request layer.
pub fn routes(delays: &Arc<DelayModel>) -> Router<SubmissionState> {
    let fakeable = axum::middleware::from_fn_with_state(
        (Arc::clone(delays), FakeKind::Submission),
        fake::layer,
    );
    Router::new().route("/version/v1/diagnosis-keys", post(submit).layer(fakeable))
}

/// Diagnosis keys, with a TAN.
#[utoipa::path(post, path = "/version/v1/diagnosis-keys", tag = "submission",
    params(("cwa-fake" = Option<String>, Header, description = "1 marks a fake (dummy) request: answered alike, nothing stored"),
        ("cwa-authorization" = String, Header, description = "The TAN")),
    request_body(content = Binary, content_type = "application/x-protobuf",
        description = "A `SubmissionPayload` protobuf (proto/submission_payload.proto): 1 to 14 keys, at most 100 KB"),
    responses(
        (status = 200, description = "Stored (an empty object, padded)"),
        (status = 400, description = "A rule of SPEC section 4 is broken (the code names it), no key starts within the last 14 days (`no_key_in_window`), or the TAN header is missing; nothing stored, TAN not spent", body = ErrorBody),
        (status = 403, description = "The TAN is unknown, expired or used", body = ErrorBody),
        (status = 413, description = "Body over 100 KB", body = ErrorBody),
        (status = 415, description = "Not application/x-protobuf", body = ErrorBody),
    ))]
/// Validates the payload first (a broken rule, or no key left to store,
/// costs the phone no TAN), then spends the TAN and stores every key, all
/// or nothing ([`tan::store_with_tan`]).
pub(crate) async fn submit(
    State(state): State<SubmissionState>,
    headers: HeaderMap,
    Protobuf(payload): Protobuf<SubmissionPayload>,
) -> AppResult<Json<serde_json::Value>> {
    let tan = headers
        .get(TAN_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|tan| !tan.is_empty())
        .ok_or_else(|| {
            AppError::bad_request("missing_tan", "the cwa-authorization header is missing")
        })?;
    let keys = validate::validate(&payload, &state.countries, crate::clock::now())
        .map_err(|error| AppError::bad_request(error.code(), error.to_string()))?;
    let Some(stored) = tan::store_with_tan(&state, tan, &keys).await? else {
        return Err(AppError::Forbidden("the TAN is unknown, expired or used"));
    };
    metrics::counter!("warn_submissions_total").increment(1);
    metrics::counter!("warn_diagnosis_keys_stored_total").increment(stored);
    tracing::info!(keys = stored, "diagnosis keys stored");
    Ok(Json(serde_json::json!({})))
}
