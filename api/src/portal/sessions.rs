//! Server-side sessions. The cookie holds a 256-bit random id from the
//! operating system's CSPRNG; the database holds only its keyed hash. A
//! session is `pending` between the password and the second factor (at
//! most [`PENDING_LIFETIME`] seconds) and `active` after it, until it is
//! idle for the configured time or reaches its absolute lifetime.
//!
//! [`Authorized`] is the extractor every guarded route takes. It checks, in
//! this order: an active session (401), the CSRF token on state-changing
//! methods (403), the role (403).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use shared::portal::{CSRF_HEADER, Role, SessionInfo};
use shared::verification::SecretHash;
use sqlx::Row;

use super::{csrf, seconds};
use crate::config::PortalConfig;
use crate::db::Db;
use crate::error::AppError;
use crate::portal::PortalState;

/// The cookie's name without TLS (tests, development).
pub const COOKIE: &str = "warn_session";
/// The cookie's name under `--secure-cookies`: the `__Host-` prefix makes
/// the browser keep it only when set over HTTPS with `Secure`, `Path=/`
/// and no `Domain`, so no other host (a sibling subdomain) can plant or
/// overwrite it.
pub const HOST_COOKIE: &str = "__Host-warn_session";
/// Without TLS the cookie is sent only to the portal API.
pub const COOKIE_PATH: &str = "/api/v1/portal";
/// Seconds between password and second factor.
pub const PENDING_LIFETIME: i64 = 5 * 60;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password checked, second factor outstanding.
    Pending,
    /// Logged in.
    Active,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
        }
    }
}

/// A session found for a request.
#[derive(Clone)]
pub struct Session {
    /// The clear id from the cookie (never stored, never logged).
    id: String,
    /// Its keyed hash (`Db::hash`), the row's key.
    pub id_hash: SecretHash,
    /// The user's database id.
    pub user_id: i64,
    /// The user's name.
    pub name: String,
    /// The user's role.
    pub role: Role,
    /// Unix seconds of the log-in.
    pub created_at: i64,
    /// The user must replace an initial or reset password first.
    pub password_change_required: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The CSRF token of this session.
    pub fn csrf_token(&self) -> String {
        csrf::token_for(&self.id)
    }

    /// What the page learns about its session.
    pub fn info(&self, config: &PortalConfig) -> SessionInfo {
        SessionInfo {
            name: self.name.clone(),
            role: self.role,
            csrf_token: self.csrf_token(),
            idle_timeout: seconds(config.idle_timeout),
            password_change_required: self.password_change_required,
            expires_at: self.created_at + seconds(config.absolute_timeout),
        }
    }
}

/// Starts a session for `user_id` and returns its clear id (for the cookie).
pub async fn start(db: &Db, user_id: i64, stage: Stage, now: i64) -> Result<String, AppError> {
    let id = hex::encode(shared::random::try_bytes::<32>()?);
    sqlx::query(
        "INSERT INTO portal_sessions (id_hash, user_id, stage, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(db.hash(&id).to_hex())
    .bind(user_id)
    .bind(stage.as_str())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(id)
}

/// Ends one session.
pub async fn end(db: &Db, id_hash: &SecretHash) -> Result<(), AppError> {
    sqlx::query("DELETE FROM portal_sessions WHERE id_hash = $1")
        .bind(id_hash.to_hex())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user but `keep` (after a password change).
pub async fn end_others(db: &Db, user_id: i64, keep: &SecretHash) -> Result<u64, AppError> {
    Ok(
        sqlx::query("DELETE FROM portal_sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep.to_hex())
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

/// Ends every session of a user ("log out everywhere", disabling, resets).
pub async fn end_all(db: &Db, user_id: i64) -> Result<u64, AppError> {
    Ok(
        sqlx::query("DELETE FROM portal_sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

/// Deletes sessions that can no longer be used (the hourly clean-up, which
/// also deletes the log-in counters that no longer matter). Returns the
/// sessions deleted.
pub async fn delete_expired(db: &Db, config: &PortalConfig, now: i64) -> Result<u64, AppError> {
    let deleted = sqlx::query(
        "DELETE FROM portal_sessions WHERE last_seen_at < $1 OR created_at < $2 \
         OR (stage = 'pending' AND created_at < $3)",
    )
    .bind(now - seconds(config.idle_timeout))
    .bind(now - seconds(config.absolute_timeout))
    .bind(now - PENDING_LIFETIME)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(deleted)
}

/// Whether the request reached us over TLS (directly or through a proxy
/// that says so), or the configuration says the portal is served over TLS.
fn secure(config: &PortalConfig, headers: &HeaderMap) -> bool {
    config.secure_cookie
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// The cookie's name under `config`.
pub fn cookie_name(config: &PortalConfig) -> &'static str {
    if config.secure_cookie {
        HOST_COOKIE
    } else {
        COOKIE
    }
}

/// The `Set-Cookie` value that stores session `id` for `max_age` seconds:
/// `__Host-warn_session` with `Secure; Path=/` under `--secure-cookies`,
/// otherwise `warn_session` on the API's path. Never a `Domain`.
pub fn cookie(
    id: &str,
    max_age: i64,
    config: &PortalConfig,
    headers: &HeaderMap,
) -> Result<HeaderValue, AppError> {
    let value = if config.secure_cookie {
        format!("{HOST_COOKIE}={id}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict; Secure")
    } else {
        let secure = if secure(config, headers) {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{COOKIE}={id}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
        )
    };
    HeaderValue::from_str(&value).map_err(|_| AppError::Internal("cookie value".into()))
}

/// The `Set-Cookie` value that removes the cookie.
pub fn removal_cookie(config: &PortalConfig, headers: &HeaderMap) -> Result<HeaderValue, AppError> {
    cookie("", 0, config, headers)
}

/// The session id the request's cookie (of the configured name) holds,
/// when it has the right shape.
fn cookie_id(headers: &HeaderMap, config: &PortalConfig) -> Option<String> {
    let wanted = cookie_name(config);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Finds the request's session in `stage`, ends it when it has expired
/// (401), checks the CSRF token of a state-changing request (403), and
/// records the activity.
pub async fn load(parts: &Parts, state: &PortalState, stage: Stage) -> Result<Session, AppError> {
    let id = cookie_id(&parts.headers, &state.config).ok_or(AppError::Unauthorized)?;
    let id_hash = state.db.hash(&id);
    let row = sqlx::query(
        "SELECT s.user_id, s.stage, s.created_at, s.last_seen_at, u.name, u.role, u.disabled, \
         u.password_change_required \
         FROM portal_sessions s JOIN portal_users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash.to_hex())
    .fetch_optional(state.db.pool())
    .await?
    .ok_or(AppError::Unauthorized)?;
    let found_stage: String = row.try_get("stage")?;
    if found_stage != stage.as_str() {
        return Err(AppError::Unauthorized);
    }
    let now = crate::clock::now();
    let config = &state.config;
    let created_at: i64 = row.try_get("created_at")?;
    let last_seen_at: i64 = row.try_get("last_seen_at")?;
    let disabled = row.try_get::<i64, _>("disabled")? != 0;
    let expired = match stage {
        Stage::Pending => now - created_at > PENDING_LIFETIME,
        Stage::Active => {
            now - last_seen_at > seconds(config.idle_timeout)
                || now - created_at > seconds(config.absolute_timeout)
        }
    };
    if expired || disabled {
        end(&state.db, &id_hash).await?;
        return Err(AppError::Unauthorized);
    }
    let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state
        && !csrf::matches(
            &id,
            parts.headers.get(CSRF_HEADER).map(HeaderValue::as_bytes),
        )
    {
        return Err(AppError::Forbidden("the CSRF token is missing or wrong"));
    }
    sqlx::query("UPDATE portal_sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash.to_hex())
        .bind(now)
        .execute(state.db.pool())
        .await?;
    let role: String = row.try_get("role")?;
    Ok(Session {
        id,
        id_hash,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| AppError::Internal(format!("unknown stored role {role:?}")))?,
        created_at,
        password_change_required: row.try_get::<i64, _>("password_change_required")? != 0,
    })
}

/// The roles a route admits.
pub trait Allowed: Send + Sync + 'static {
    /// The admitted roles.
    const ROLES: &'static [Role];
    /// Whether a user who must still replace an initial or reset password
    /// may use the route (only the session, the change and the log-outs).
    const BEFORE_PASSWORD_CHANGE: bool = false;
}

/// Every logged-in user, also one who must still change the password.
#[derive(Debug)]
pub struct AnyRole;
impl Allowed for AnyRole {
    const ROLES: &'static [Role] = &Role::ALL;
    const BEFORE_PASSWORD_CHANGE: bool = true;
}

/// Hotline agents and health officers.
#[derive(Debug)]
pub struct TeleTanIssuers;
impl Allowed for TeleTanIssuers {
    const ROLES: &'static [Role] = &[Role::Hotline, Role::HealthOfficer];
}

/// Health officers.
#[derive(Debug)]
pub struct HealthOfficers;
impl Allowed for HealthOfficers {
    const ROLES: &'static [Role] = &[Role::HealthOfficer];
}

/// Lab users.
#[derive(Debug)]
pub struct Labs;
impl Allowed for Labs {
    const ROLES: &'static [Role] = &[Role::Lab];
}

/// The routes only administrators may use (user management, audit log).
#[derive(Debug)]
pub struct Admins;
impl Allowed for Admins {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// An active session whose user has one of the roles of `A`.
#[derive(Debug)]
pub struct Authorized<A: Allowed> {
    /// The session.
    pub session: Session,
    allowed: PhantomData<A>,
}

impl<A: Allowed> FromRequestParts<PortalState> for Authorized<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &PortalState) -> Result<Self, AppError> {
        let session = load(parts, state, Stage::Active).await?;
        if session.password_change_required && !A::BEFORE_PASSWORD_CHANGE {
            return Err(AppError::Forbidden("change your initial password first"));
        }
        if !A::ROLES.contains(&session.role) {
            return Err(AppError::Forbidden("your role may not do this"));
        }
        Ok(Self {
            session,
            allowed: PhantomData,
        })
    }
}

/// A session between password and second factor.
#[derive(Debug)]
pub struct Pending(pub Session);

impl FromRequestParts<PortalState> for Pending {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &PortalState) -> Result<Self, AppError> {
        load(parts, state, Stage::Pending).await.map(Pending)
    }
}
