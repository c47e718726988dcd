//! The portal API in the OpenAPI document: its paths, the two security
//! schemes (the session cookie and the CSRF header) and the error answers
//! the routes share. [`crate::server::openapi`] merges it into `/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The name of the session cookie's security scheme.
pub const SESSION_SCHEME: &str = "portal_session";
/// The name of the CSRF header's security scheme.
pub const CSRF_SCHEME: &str = "portal_csrf";

/// 401 of every guarded route.
pub(super) const NO_SESSION: &str =
    "No session, or it ended (idle or absolute timeout, log-out, disabled user)";
/// 403 of a guarded GET.
pub(super) const WRONG_ROLE: &str = "The user's role may not use this route";
/// 403 of a guarded POST.
pub(super) const CSRF_OR_ROLE: &str = "The CSRF token (`x-csrf-token`) is missing or wrong, or the user's role may not use this route";
/// 403 of a POST every role may use.
pub(super) const CSRF: &str = "The CSRF token (`x-csrf-token`) is missing or wrong";
/// 429 of the log-in.
pub(super) const LOGIN_THROTTLED: &str = "Too many failed attempts: of this name from this client (5), of this client over any names (20), or of this name over every client (20; not counted for a client that completed a log-in as this name in the last 12 hours). Known and unknown names are counted alike; Retry-After says when to try again";
/// 503 of a route that checks a password.
pub(super) const BUSY: &str =
    "Too many password checks run or wait at once (`busy`); Retry-After: 1";
/// 413 of a JSON body.
pub(super) const TOO_LARGE: &str = "Body over 10,000 bytes";
/// 415 of a JSON body.
pub(super) const NOT_JSON: &str = "Not application/json";

/// The portal API's part of the document.
#[derive(OpenApi)]
#[openapi(
    paths(
        super::auth::login,
        super::auth::second_factor,
        super::auth::session,
        super::auth::change_password,
        super::auth::logout,
        super::auth::logout_everywhere,
        super::teletan::issue,
        super::teletan::issue_batch,
        super::lab::upload,
        super::labs::list,
        super::labs::create,
        super::labs::disable,
        super::stats::daily,
        super::admin::list_users,
        super::admin::create_user,
        super::admin::disable,
        super::admin::enable,
        super::admin::reset_totp,
        super::admin::reset_password,
        super::admin::audit,
    ),
    modifiers(&PortalSecuritySchemes),
    tags(
        (name = "portal", description = "The portal's JSON API (SPEC section 9): log-in with password and TOTP, \
            then a session cookie; every state-changing request carries the session's CSRF token in \
            `x-csrf-token`; each route admits the roles it names. Answers are never cached (`Cache-Control: no-store`)."),
    )
)]
pub struct PortalApiDoc;

struct PortalSecuritySchemes;

impl Modify for PortalSecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::super::sessions::COOKIE,
                "The session cookie set by the log-in (`HttpOnly`, `SameSite=Strict`, path \
                 `/api/v1/portal`; named `__Host-warn_session` with `Secure` and path `/` when the \
                 server runs with `--secure-cookies`); a pending session between password and TOTP, \
                 then an active one",
            ))),
        );
        components.add_security_scheme(
            CSRF_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                shared::portal::CSRF_HEADER,
                "The session's CSRF token (`csrfToken` of the log-in and session answers), \
                 required on every POST",
            ))),
        );
    }
}
