//! Log-in (password, then TOTP), the session, log-out.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::portal::{
    AuditAction, ChangePasswordRequest, LoginNext, LoginRequest, LoginResponse, SessionInfo,
    TotpRequest,
};

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::AppResult;
use crate::extract::Json;
use crate::portal::PortalState;
use crate::portal::accounts::LoginError;
use crate::portal::limits::Client;
use crate::portal::sessions::{self, AnyRole, Authorized, PENDING_LIFETIME, Pending, Stage};
use crate::portal::{accounts, audit, csrf, seconds, totp};

/// `POST /api/v1/portal/login`: checks the password and opens a pending
/// session; a user without a second factor gets a new secret to enrol.
#[utoipa::path(post, path = "/api/v1/portal/login", tag = "portal", operation_id = "portal_login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Password right: a pending session (5 minutes) for the second factor; a user without one gets a secret to enrol",
            body = LoginResponse, headers(("set-cookie" = String, description = "The pending session's cookie"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Unknown name, wrong password or disabled user (one answer for all, after the same work)", body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
        (status = 429, description = doc::LOGIN_THROTTLED, body = ErrorBody),
        (status = 503, description = doc::BUSY, body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<PortalState>,
    Client(client): Client,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Response, LoginError> {
    let now = crate::clock::now();
    let user = accounts::check_password(
        &state.db,
        &state.login_limits,
        &request.name,
        &request.password,
        client,
        now,
    )
    .await?;
    let (next, enrolment) = if user.totp_enrolled() {
        (LoginNext::Totp, None)
    } else {
        let secret = totp::new_secret()?;
        accounts::offer_totp(&state.db, user.id, &secret).await?;
        (
            LoginNext::Enrol,
            Some(totp::enrolment(&user.name, &secret)?),
        )
    };
    let id = sessions::start(&state.db, user.id, Stage::Pending, now).await?;
    let cookie = sessions::cookie(&id, PENDING_LIFETIME, &state.config, &headers)?;
    let body = LoginResponse {
        next,
        csrf_token: csrf::token_for(&id),
        enrolment,
    };
    Ok(([(header::SET_COOKIE, cookie)], JsonResponse(body)).into_response())
}

/// `POST /api/v1/portal/login/totp`: checks the second factor and replaces
/// the pending session by an active one (a new id).
#[utoipa::path(post, path = "/api/v1/portal/login/totp", tag = "portal", operation_id = "portal_second_factor",
    request_body = TotpRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "Code right: the pending session is replaced by an active one (a new id and CSRF token)",
            body = SessionInfo, headers(("set-cookie" = String, description = "The active session's cookie"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No pending session (or older than 5 minutes), or a wrong or already used code", body = ErrorBody),
        (status = 403, description = doc::CSRF, body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
        (status = 429, description = "Five wrong codes in a row for this user (however many are sent at once); Retry-After says when to try again", body = ErrorBody),
    ))]
pub async fn second_factor(
    Pending(pending): Pending,
    State(state): State<PortalState>,
    Client(client): Client,
    headers: HeaderMap,
    Json(request): Json<TotpRequest>,
) -> AppResult<Response> {
    let now = crate::clock::now();
    accounts::check_totp(&state.db, pending.user_id, &request.code, now).await?;
    // This client may now pass the per-name limit for this name.
    let limits = &state.login_limits;
    limits.logged_in(limits.name_key(&pending.name), client, now);
    sessions::end(&state.db, &pending.id_hash).await?;
    let id = sessions::start(&state.db, pending.user_id, Stage::Active, now).await?;
    audit::record(&state.db, &pending.name, AuditAction::Login, "", 1, now).await?;
    let config = &state.config;
    let cookie = sessions::cookie(&id, seconds(config.absolute_timeout), config, &headers)?;
    let body = SessionInfo {
        name: pending.name.clone(),
        role: pending.role,
        csrf_token: csrf::token_for(&id),
        idle_timeout: seconds(config.idle_timeout),
        password_change_required: pending.password_change_required,
        expires_at: now + seconds(config.absolute_timeout),
    };
    Ok(([(header::SET_COOKIE, cookie)], JsonResponse(body)).into_response())
}

/// `GET /api/v1/portal/session`: who is logged in, and the CSRF token.
#[utoipa::path(get, path = "/api/v1/portal/session", tag = "portal", operation_id = "portal_session",
    security(("portal_session" = [])),
    responses(
        (status = 200, description = "The logged-in user, the CSRF token and the session's timeouts", body = SessionInfo),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
    ))]
pub async fn session(
    auth: Authorized<AnyRole>,
    State(state): State<PortalState>,
) -> JsonResponse<SessionInfo> {
    JsonResponse(auth.session.info(&state.config))
}

/// `POST /api/v1/portal/logout`: ends this session.
#[utoipa::path(post, path = "/api/v1/portal/logout", tag = "portal", operation_id = "portal_logout",
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 204, description = "The session ended", headers(("set-cookie" = String, description = "Removes the cookie"))),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF, body = ErrorBody),
    ))]
pub async fn logout(
    auth: Authorized<AnyRole>,
    State(state): State<PortalState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    sessions::end(&state.db, &auth.session.id_hash).await?;
    let cookie = sessions::removal_cookie(&state.config, &headers)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `POST /api/v1/portal/logout-everywhere`: ends every session of the user.
#[utoipa::path(post, path = "/api/v1/portal/logout-everywhere", tag = "portal", operation_id = "portal_logout_everywhere",
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 204, description = "Every session of the user ended (audited)", headers(("set-cookie" = String, description = "Removes the cookie"))),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF, body = ErrorBody),
    ))]
pub async fn logout_everywhere(
    auth: Authorized<AnyRole>,
    State(state): State<PortalState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ended = sessions::end_all(&state.db, auth.session.user_id).await?;
    let now = crate::clock::now();
    let count = i64::try_from(ended).unwrap_or(i64::MAX);
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::LogoutEverywhere,
        "",
        count,
        now,
    )
    .await?;
    let cookie = sessions::removal_cookie(&state.config, &headers)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `POST /api/v1/portal/password`: the user's own password change; the
/// user's other sessions end. The one route (with the session and the
/// log-outs) a user with an initial or reset password may use.
#[utoipa::path(post, path = "/api/v1/portal/password", tag = "portal", operation_id = "portal_change_password",
    request_body = ChangePasswordRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "Changed (audited as `password.changed`); the user's other sessions ended", body = SessionInfo),
        (status = 400, description = "Malformed JSON, a new password that breaks the rule (`weak_password`: 12 to 128 characters, not the user name, at least 5 different characters), equal to the current one (`same_password`), or a wrong current password (`wrong_password`)", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF, body = ErrorBody),
        (status = 413, description = doc::TOO_LARGE, body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
        (status = 429, description = "Five wrong current passwords or codes in a row for this user; Retry-After says when", body = ErrorBody),
        (status = 503, description = doc::BUSY, body = ErrorBody),
    ))]
pub async fn change_password(
    auth: Authorized<AnyRole>,
    State(state): State<PortalState>,
    Json(request): Json<ChangePasswordRequest>,
) -> Result<JsonResponse<SessionInfo>, LoginError> {
    let now = crate::clock::now();
    let user = accounts::change_password(
        &state.db,
        &state.login_limits,
        auth.session.user_id,
        &request.current_password,
        &request.new_password,
        now,
    )
    .await?;
    sessions::end_others(&state.db, user.id, &auth.session.id_hash).await?;
    audit::record(
        &state.db,
        &user.name,
        AuditAction::PasswordChanged,
        "",
        1,
        now,
    )
    .await?;
    let mut info = auth.session.info(&state.config);
    info.password_change_required = user.password_change_required;
    Ok(JsonResponse(info))
}
