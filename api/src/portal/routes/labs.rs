//! Lab API keys for administrators: create (the key is shown once), list,
//! disable.

use axum::Json as JsonResponse;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::portal::{AuditAction, CreateLabKeyRequest, CreatedLabKey, LabKeySummary};

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::portal::PortalState;
use crate::portal::audit;
use crate::portal::sessions::{Admins, Authorized};
use crate::testresult::labs::{self, LabError};

/// `GET /api/v1/portal/labs`: every lab (never a key).
#[utoipa::path(get, path = "/api/v1/portal/labs", tag = "portal", operation_id = "portal_list_labs",
    security(("portal_session" = [])),
    responses(
        (status = 200, description = "Every lab (role `admin`)", body = Vec<LabKeySummary>),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::WRONG_ROLE, body = ErrorBody),
    ))]
pub async fn list(
    _auth: Authorized<Admins>,
    State(state): State<PortalState>,
) -> AppResult<JsonResponse<Vec<LabKeySummary>>> {
    Ok(JsonResponse(labs::list(&state.db).await?))
}

/// `POST /api/v1/portal/labs`: a new lab and its API key, shown only in
/// this answer; only its SHA-256 is stored.
#[utoipa::path(post, path = "/api/v1/portal/labs", tag = "portal", operation_id = "portal_create_lab",
    request_body = CreateLabKeyRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 201, description = "The lab and its API key, shown only here (role `admin`)", body = CreatedLabKey),
        (status = 400, description = "Malformed JSON, an invalid name (`invalid_name`) or one in use (`lab_exists`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
    ))]
pub async fn create(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    Json(request): Json<CreateLabKeyRequest>,
) -> AppResult<(StatusCode, JsonResponse<CreatedLabKey>)> {
    let now = crate::clock::now();
    let key = labs::add(&state.db, &request.name, now)
        .await
        .map_err(|error| match error {
            LabError::Name => AppError::bad_request("invalid_name", error.to_string()),
            LabError::Exists(_) => AppError::bad_request("lab_exists", error.to_string()),
            LabError::Random(error) => AppError::Internal(error.to_string()),
            LabError::Database(error) => AppError::Database(error),
        })?;
    let lab = labs::by_name(&state.db, &request.name)
        .await?
        .ok_or_else(|| AppError::Internal("the new lab is not stored".into()))?;
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::LabKeyCreated,
        &lab.name,
        1,
        now,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(CreatedLabKey { lab, key }),
    ))
}

/// `POST /api/v1/portal/labs/{id}/disable`: the lab's key is refused from
/// now on.
#[utoipa::path(post, path = "/api/v1/portal/labs/{id}/disable", tag = "portal", operation_id = "portal_disable_lab",
    params(("id" = i64, Path, description = "The lab's id")),
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "The lab, disabled (role `admin`)", body = LabKeySummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 404, description = "No such lab", body = ErrorBody),
    ))]
pub async fn disable(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    path: Result<Path<i64>, PathRejection>,
) -> AppResult<JsonResponse<LabKeySummary>> {
    let Path(id) = path.map_err(|_| AppError::bad_request("invalid_id", "a lab id is a number"))?;
    let lab = labs::disable(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("no such lab"))?;
    let now = crate::clock::now();
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::LabKeyDisabled,
        &lab.name,
        1,
        now,
    )
    .await?;
    Ok(JsonResponse(lab))
}
