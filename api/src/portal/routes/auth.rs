//! Log-in (password, then TOTP), the session, log-out.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::portal::{LoginNext, LoginRequest, LoginResponse, SessionInfo, TotpRequest};

use crate::error::AppResult;
use crate::extract::Json;
use crate::portal::sessions::{self, AnyRole, Authorized, PENDING_LIFETIME, Pending, Stage};
use crate::portal::{accounts, audit, csrf, seconds, totp};
use crate::server::AppState;

/// `POST /api/v1/portal/login`: checks the password and opens a pending
/// session; a user without a second factor gets a new secret to enrol.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> AppResult<Response> {
    let now = crate::clock::now();
    let user = accounts::check_password(&state.db, &request.name, &request.password, now).await?;
    let (next, enrolment) = if user.totp_secret.is_some() {
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
    let cookie = sessions::cookie(&id, PENDING_LIFETIME, &state.config.portal, &headers)?;
    let body = LoginResponse {
        next,
        csrf_token: csrf::token_for(&id),
        enrolment,
    };
    Ok(([(header::SET_COOKIE, cookie)], JsonResponse(body)).into_response())
}

/// `POST /api/v1/portal/login/totp`: checks the second factor and replaces
/// the pending session by an active one (a new id).
pub async fn second_factor(
    Pending(pending): Pending,
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<TotpRequest>,
) -> AppResult<Response> {
    let now = crate::clock::now();
    accounts::check_totp(&state.db, pending.user_id, &request.code, now).await?;
    sessions::end(&state.db, &pending.id_hash).await?;
    let id = sessions::start(&state.db, pending.user_id, Stage::Active, now).await?;
    audit::record(&state.db, &pending.name, "login", "", 1, now).await?;
    let config = &state.config.portal;
    let cookie = sessions::cookie(&id, seconds(config.absolute_timeout), config, &headers)?;
    let body = SessionInfo {
        name: pending.name.clone(),
        role: pending.role,
        csrf_token: csrf::token_for(&id),
        idle_timeout: seconds(config.idle_timeout),
        expires_at: now + seconds(config.absolute_timeout),
    };
    Ok(([(header::SET_COOKIE, cookie)], JsonResponse(body)).into_response())
}

/// `GET /api/v1/portal/session`: who is logged in, and the CSRF token.
pub async fn session(
    auth: Authorized<AnyRole>,
    State(state): State<AppState>,
) -> JsonResponse<SessionInfo> {
    JsonResponse(auth.session.info(&state.config.portal))
}

/// `POST /api/v1/portal/logout`: ends this session.
pub async fn logout(
    auth: Authorized<AnyRole>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    sessions::end(&state.db, &auth.session.id_hash).await?;
    let cookie = sessions::removal_cookie(&state.config.portal, &headers)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `POST /api/v1/portal/logout-everywhere`: ends every session of the user.
pub async fn logout_everywhere(
    auth: Authorized<AnyRole>,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ended = sessions::end_all(&state.db, auth.session.user_id).await?;
    let now = crate::clock::now();
    let count = i64::try_from(ended).unwrap_or(i64::MAX);
    audit::record(
        &state.db,
        &auth.session.name,
        "logout.everywhere",
        "",
        count,
        now,
    )
    .await?;
    let cookie = sessions::removal_cookie(&state.config.portal, &headers)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
