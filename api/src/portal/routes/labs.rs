//! Lab API keys for administrators: create (the key is shown once), list,
//! disable.

use axum::Json as JsonResponse;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shared::portal::{CreateLabKeyRequest, CreatedLabKey, LabKeySummary};

use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::portal::audit;
use crate::portal::sessions::{Admins, Authorized};
use crate::server::AppState;
use crate::testresult::labs::{self, LabError};

/// `GET /api/v1/portal/labs`: every lab (never a key).
pub async fn list(
    _auth: Authorized<Admins>,
    State(state): State<AppState>,
) -> AppResult<JsonResponse<Vec<LabKeySummary>>> {
    Ok(JsonResponse(labs::list(&state.db).await?))
}

/// `POST /api/v1/portal/labs`: a new lab and its API key, shown only in
/// this answer; only its SHA-256 is stored.
pub async fn create(
    auth: Authorized<Admins>,
    State(state): State<AppState>,
    Json(request): Json<CreateLabKeyRequest>,
) -> AppResult<(StatusCode, JsonResponse<CreatedLabKey>)> {
    let now = crate::clock::now();
    let key = labs::add(&state.db, &request.name, now)
        .await
        .map_err(|error| match error {
            LabError::Name => AppError::bad_request("invalid_name", error.to_string()),
            LabError::Exists(_) => AppError::bad_request("lab_exists", error.to_string()),
            LabError::Random(detail) => AppError::Internal(detail),
            LabError::Database(error) => AppError::Database(error),
        })?;
    let lab = labs::by_name(&state.db, &request.name)
        .await?
        .ok_or_else(|| AppError::Internal("the new lab is not stored".into()))?;
    audit::record(
        &state.db,
        &auth.session.name,
        "lab-key.created",
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
pub async fn disable(
    auth: Authorized<Admins>,
    State(state): State<AppState>,
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
        "lab-key.disabled",
        &lab.name,
        1,
        now,
    )
    .await?;
    Ok(JsonResponse(lab))
}
