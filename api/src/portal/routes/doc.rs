//! The portal API's parts of the OpenAPI document that its routes share:
//! the two security schemes (the session cookie and the CSRF header) and
//! the error answers. The document itself is [`super::PortalApiDoc`].

use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

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

/// Adds the portal's two security schemes to the document.
pub(super) struct PortalSecuritySchemes;

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
