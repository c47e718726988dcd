//! Administration: users and roles, the audit log.

use axum::Json as JsonResponse;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use shared::portal::{
    AuditAction, AuditEntry, AuditQuery, CreateUserRequest, CreatedUser, PasswordReset, UserSummary,
};

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::portal::PortalState;
use crate::portal::sessions::{Admins, Authorized};
use crate::portal::{accounts, audit};

/// `GET /api/v1/portal/users`: every user.
#[utoipa::path(get, path = "/api/v1/portal/users", tag = "portal", operation_id = "portal_list_users",
    security(("portal_session" = [])),
    responses(
        (status = 200, description = "Every user (role `admin`)", body = Vec<UserSummary>),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::WRONG_ROLE, body = ErrorBody),
    ))]
pub async fn list_users(
    _auth: Authorized<Admins>,
    State(state): State<PortalState>,
) -> AppResult<JsonResponse<Vec<UserSummary>>> {
    let users = accounts::list(&state.db).await?;
    Ok(JsonResponse(
        users.iter().map(accounts::User::summary).collect(),
    ))
}

/// `POST /api/v1/portal/users`: a new user with a random initial password,
/// shown once; at the first log-in the user sets up the second factor and
/// then replaces the password.
#[utoipa::path(post, path = "/api/v1/portal/users", tag = "portal", operation_id = "portal_create_user",
    request_body = CreateUserRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 201, description = "The user and the initial password, shown only here; the user must change it at the first log-in (role `admin`)", body = CreatedUser),
        (status = 400, description = "Malformed JSON, an invalid name (`invalid_name`) or one in use (`user_exists`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
    ))]
pub async fn create_user(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    Json(request): Json<CreateUserRequest>,
) -> AppResult<(StatusCode, JsonResponse<CreatedUser>)> {
    let now = crate::clock::now();
    let (user, password) =
        accounts::create_with_initial_password(&state.db, &request.name, request.role, now).await?;
    let detail = format!("{} ({})", user.name, user.role);
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::UserCreated,
        &detail,
        1,
        now,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(CreatedUser {
            user: user.summary(),
            initial_password: password,
        }),
    ))
}

fn user_id(path: Result<Path<i64>, PathRejection>) -> AppResult<i64> {
    path.map(|Path(id)| id)
        .map_err(|_| AppError::bad_request("invalid_id", "a user id is a number"))
}

/// Applies `change` to user `id` and records `action`; 404 for an unknown user.
async fn change_user(
    auth: &Authorized<Admins>,
    state: &PortalState,
    id: i64,
    action: AuditAction,
    changed: bool,
) -> AppResult<JsonResponse<UserSummary>> {
    if !changed {
        return Err(AppError::NotFound("no such user"));
    }
    let user = accounts::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("no such user"))?;
    let now = crate::clock::now();
    audit::record(&state.db, &auth.session.name, action, &user.name, 1, now).await?;
    Ok(JsonResponse(user.summary()))
}

/// `POST /api/v1/portal/users/{id}/disable`: the user can no longer log in;
/// their sessions end. An administrator cannot disable themselves, and the
/// last enabled administrator cannot be disabled (also when two disable
/// each other at once).
#[utoipa::path(post, path = "/api/v1/portal/users/{id}/disable", tag = "portal", operation_id = "portal_disable_user",
    params(("id" = i64, Path, description = "The user's id")),
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "The user, disabled; their sessions end (role `admin`; audited)", body = UserSummary),
        (status = 400, description = "The id is not a number, the administrator's own account (`own_account`), or the last enabled administrator (`last_admin`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn disable(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    path: Result<Path<i64>, PathRejection>,
) -> AppResult<JsonResponse<UserSummary>> {
    let id = user_id(path)?;
    if id == auth.session.user_id {
        return Err(AppError::bad_request(
            "own_account",
            "you cannot disable your own account",
        ));
    }
    let changed = accounts::set_disabled(&state.db, id, true).await?;
    change_user(&auth, &state, id, AuditAction::UserDisabled, changed).await
}

/// `POST /api/v1/portal/users/{id}/enable`.
#[utoipa::path(post, path = "/api/v1/portal/users/{id}/enable", tag = "portal", operation_id = "portal_enable_user",
    params(("id" = i64, Path, description = "The user's id")),
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "The user, enabled (role `admin`; audited)", body = UserSummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn enable(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    path: Result<Path<i64>, PathRejection>,
) -> AppResult<JsonResponse<UserSummary>> {
    let id = user_id(path)?;
    let changed = accounts::set_disabled(&state.db, id, false).await?;
    change_user(&auth, &state, id, AuditAction::UserEnabled, changed).await
}

/// `POST /api/v1/portal/users/{id}/reset-totp`: the user sets up a new
/// second factor at the next log-in; their sessions end.
#[utoipa::path(post, path = "/api/v1/portal/users/{id}/reset-totp", tag = "portal", operation_id = "portal_reset_totp",
    params(("id" = i64, Path, description = "The user's id")),
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "The user, to set up a new second factor at the next log-in; their sessions end (role `admin`; audited)", body = UserSummary),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn reset_totp(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    path: Result<Path<i64>, PathRejection>,
) -> AppResult<JsonResponse<UserSummary>> {
    let id = user_id(path)?;
    let changed = accounts::reset_totp(&state.db, id).await?;
    change_user(&auth, &state, id, AuditAction::UserTotpReset, changed).await
}

/// `POST /api/v1/portal/users/{id}/reset-password`: a new random one-time
/// password, shown once, that the user must change at the next log-in; the
/// user's sessions end and their log-in failures are forgotten.
#[utoipa::path(post, path = "/api/v1/portal/users/{id}/reset-password", tag = "portal", operation_id = "portal_reset_password",
    params(("id" = i64, Path, description = "The user's id")),
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "The user and the one-time password, shown only here (role `admin`; audited as `user.password-reset`)", body = PasswordReset),
        (status = 400, description = "The id is not a number, or the administrator's own account (`own_account`: change it with `POST /api/v1/portal/password`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn reset_password(
    auth: Authorized<Admins>,
    State(state): State<PortalState>,
    path: Result<Path<i64>, PathRejection>,
) -> AppResult<JsonResponse<PasswordReset>> {
    let id = user_id(path)?;
    if id == auth.session.user_id {
        return Err(AppError::bad_request(
            "own_account",
            "change your own password on the password page",
        ));
    }
    let (user, password) = accounts::reset_password(&state.db, id)
        .await?
        .ok_or(AppError::NotFound("no such user"))?;
    let limits = &state.login_limits;
    limits.forget_name(limits.name_key(&user.name));
    let now = crate::clock::now();
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::UserPasswordReset,
        &user.name,
        1,
        now,
    )
    .await?;
    Ok(JsonResponse(PasswordReset {
        user: user.summary(),
        one_time_password: password,
    }))
}

/// `GET /api/v1/portal/audit?actor=&action=&since=&until=&beforeId=`.
#[utoipa::path(get, path = "/api/v1/portal/audit", tag = "portal", operation_id = "portal_audit",
    params(AuditQuery),
    security(("portal_session" = [])),
    responses(
        (status = 200, description = "Matching entries, newest first, at most 200 a page (role `admin`)", body = Vec<AuditEntry>),
        (status = 400, description = "A filter is malformed (`invalid_query`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::WRONG_ROLE, body = ErrorBody),
    ))]
pub async fn audit(
    _auth: Authorized<Admins>,
    State(state): State<PortalState>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<JsonResponse<Vec<AuditEntry>>> {
    let Query(query) = query.map_err(|error| {
        AppError::bad_request("invalid_query", format!("invalid filter: {error}"))
    })?;
    Ok(JsonResponse(audit::list(&state.db, &query).await?))
}
