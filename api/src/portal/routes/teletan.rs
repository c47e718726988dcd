//! teleTAN issuance for hotline agents and health officers, and batches
//! for health officers.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use shared::portal::{
    AuditAction, MAX_TELETAN_BATCH, TeleTanBatch, TeleTanBatchRequest, TeleTanIssued,
};

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::portal::PortalState;
use crate::portal::audit;
use crate::portal::sessions::{Authorized, HealthOfficers, TeleTanIssuers};
use crate::verification::teletan;

/// `POST /api/v1/portal/teletans`: one teleTAN, within the global and the
/// per-user rate limit (429 with `Retry-After` when one applies). The audit
/// log records who and when, never the teleTAN.
#[utoipa::path(post, path = "/api/v1/portal/teletans", tag = "portal", operation_id = "portal_issue_teletan",
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 201, description = "A teleTAN (roles `hotline`, `health-officer`)", body = TeleTanIssued),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 429, description = "The global or the user's rate limit applies; Retry-After says when the next teleTAN is possible", body = ErrorBody),
    ))]
pub async fn issue(
    auth: Authorized<TeleTanIssuers>,
    State(state): State<PortalState>,
) -> AppResult<(StatusCode, JsonResponse<TeleTanIssued>)> {
    let now = crate::clock::now();
    let issuer = auth.session.user_id.to_string();
    let teletan = teletan::issue(&state.db, &state.rules, &issuer, now).await?;
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::TeleTanIssued,
        "",
        1,
        now,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(TeleTanIssued {
            value: teletan.expose().to_owned(),
            expires_at: now + state.rules.teletan_validity,
        }),
    ))
}

/// `POST /api/v1/portal/teletans/batch` (health officers): 1 to 50
/// teleTANs for a printed sheet. The per-user interval counts the batch as
/// one issue (429 when it applies, nothing issued); the global hourly limit
/// counts each teleTAN and may cut the batch short: then the answer holds
/// fewer than requested and `retryAfter`. The audit log records how many.
#[utoipa::path(post, path = "/api/v1/portal/teletans/batch", tag = "portal", operation_id = "portal_issue_teletan_batch",
    request_body = TeleTanBatchRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 201, description = "The teleTANs issued (role `health-officer`); fewer than requested, with `retryAfter`, when the global hourly limit ran out", body = TeleTanBatch),
        (status = 400, description = "Malformed JSON, or a count outside 1 to 50 (`batch_size`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
        (status = 429, description = "The user's interval or the global limit applies; nothing issued; Retry-After says when", body = ErrorBody),
    ))]
pub async fn issue_batch(
    auth: Authorized<HealthOfficers>,
    State(state): State<PortalState>,
    Json(request): Json<TeleTanBatchRequest>,
) -> AppResult<(StatusCode, JsonResponse<TeleTanBatch>)> {
    if !(1..=MAX_TELETAN_BATCH).contains(&request.count) {
        return Err(AppError::bad_request(
            "batch_size",
            format!("a batch is 1 to {MAX_TELETAN_BATCH} teleTANs"),
        ));
    }
    let now = crate::clock::now();
    let issuer = auth.session.user_id.to_string();
    let batch = teletan::issue_batch(&state.db, &state.rules, &issuer, request.count, now).await?;
    let issued = i64::try_from(batch.teletans.len()).unwrap_or(i64::MAX);
    let detail = format!("{issued} of {}", request.count);
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::TeleTanBatchIssued,
        &detail,
        issued,
        now,
    )
    .await?;
    let expires_at = now + state.rules.teletan_validity;
    let retry_after = match batch.cut_short {
        Some(teletan::IssueError::RateLimited { retry_after, .. }) => Some(retry_after),
        _ => None,
    };
    Ok((
        StatusCode::CREATED,
        JsonResponse(TeleTanBatch {
            teletans: batch
                .teletans
                .iter()
                .map(|teletan| TeleTanIssued {
                    value: teletan.expose().to_owned(),
                    expires_at,
                })
                .collect(),
            requested: request.count,
            retry_after,
        }),
    ))
}
