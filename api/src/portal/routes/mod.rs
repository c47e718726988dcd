//! The portal API's routes. Every route but `login` takes a session
//! extractor ([`super::sessions::Authorized`] or
//! [`super::sessions::Pending`]), so the checks cannot be forgotten; no
//! answer may be cached.

mod admin;
mod auth;
pub mod doc;
mod lab;
mod labs;
mod stats;
mod teletan;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;

use doc::PortalSecuritySchemes;

use crate::portal::PortalState;

/// The routes under `/api/v1/portal`.
pub fn routes() -> Router<PortalState> {
    Router::new()
        .route("/api/v1/portal/login", post(auth::login))
        .route("/api/v1/portal/login/totp", post(auth::second_factor))
        .route("/api/v1/portal/session", get(auth::session))
        .route("/api/v1/portal/password", post(auth::change_password))
        .route("/api/v1/portal/logout", post(auth::logout))
        .route(
            "/api/v1/portal/logout-everywhere",
            post(auth::logout_everywhere),
        )
        .route("/api/v1/portal/teletans", post(teletan::issue))
        .route("/api/v1/portal/teletans/batch", post(teletan::issue_batch))
        .route("/api/v1/portal/lab/results", post(lab::upload))
        .route("/api/v1/portal/labs", get(labs::list).post(labs::create))
        .route("/api/v1/portal/labs/{id}/disable", post(labs::disable))
        .route("/api/v1/portal/stats", get(stats::daily))
        .route(
            "/api/v1/portal/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/v1/portal/users/{id}/disable", post(admin::disable))
        .route("/api/v1/portal/users/{id}/enable", post(admin::enable))
        .route(
            "/api/v1/portal/users/{id}/reset-totp",
            post(admin::reset_totp),
        )
        .route(
            "/api/v1/portal/users/{id}/reset-password",
            post(admin::reset_password),
        )
        .route("/api/v1/portal/audit", get(admin::audit))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// The portal API's part of the document.
#[derive(OpenApi)]
#[openapi(
    paths(
        auth::login,
        auth::second_factor,
        auth::session,
        auth::change_password,
        auth::logout,
        auth::logout_everywhere,
        teletan::issue,
        teletan::issue_batch,
        lab::upload,
        labs::list,
        labs::create,
        labs::disable,
        stats::daily,
        admin::list_users,
        admin::create_user,
        admin::disable,
        admin::enable,
        admin::reset_totp,
        admin::reset_password,
        admin::audit,
    ),
    modifiers(&PortalSecuritySchemes),
    tags(
        (name = "portal", description = "The portal's JSON API (SPEC section 9): log-in with password and TOTP, \
            then a session cookie; every state-changing request carries the session's CSRF token in \
            `x-csrf-token`; each route admits the roles it names. Answers are never cached (`Cache-Control: no-store`)."),
    )
)]
pub struct PortalApiDoc;
