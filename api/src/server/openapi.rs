//! The OpenAPI 3.1 description of the HTTP API (`/openapi.json`), generated
//! by utoipa from the handlers' own annotations and the wire types of
//! `shared`, and a browsable page rendered from it (`/api/docs`).
//!
//! The page is plain server-rendered HTML with one stylesheet from this
//! server: no script and nothing from a CDN, so it keeps a strict
//! Content-Security-Policy and works offline.

mod page;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "warn",
        description = "A national exposure-notification back end in the style of the \
            Corona-Warn-App: verification, test results, key submission, signed key \
            distribution. App-facing routes accept `cwa-fake: 1` and answer fakes alike; \
            every app-facing answer is a JSON object padded to 256 bytes (`responsePadding`). \
            Every error is `{\"error\": code, \"message\": sentence}`. Internal routes are \
            served only on the internal listener, with the service token."
    ),
    paths(
        crate::verification::routes::registration_token,
        crate::verification::routes::test_result,
        crate::verification::routes::tan,
        crate::submission::routes::submit,
        crate::testresult::routes::upload,
        crate::distribution::serve::doc::country_index,
        crate::distribution::serve::doc::date_index,
        crate::distribution::serve::doc::day_bundle,
        crate::distribution::serve::doc::hour_index,
        crate::distribution::serve::doc::hour_bundle,
        crate::distribution::serve::doc::app_config,
        crate::distribution::serve::doc::app_config_android,
        crate::distribution::serve::doc::app_config_ios,
        crate::distribution::serve::doc::keys,
        crate::verification::internal_routes::verify_tan,
        crate::verification::reservation::reserve,
        crate::verification::reservation::confirm,
        crate::verification::reservation::release,
        crate::verification::internal_routes::issue_teletan,
        crate::testresult::routes::app_result,
        super::health::healthz,
        super::health::readyz,
        super::health::info,
        super::metrics::render,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "verification", description = "Phones: registration tokens, test results, TANs (SPEC section 2)"),
        (name = "submission", description = "Phones: diagnosis keys (SPEC section 4)"),
        (name = "test results", description = "Labs: results by hashed GUID (SPEC section 3)"),
        (name = "distribution", description = "Phones and CDNs: signed key bundles, their indexes, the app configuration, the signing keys (SPEC section 5)"),
        (name = "internal", description = "On the internal listener only: calls between services (service token), and the operator's metrics"),
        (name = "operations", description = "Health, readiness, server information"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "lab_api_key",
            bearer("A lab's API key (`warn lab add`), as `Authorization: Bearer warnlab_...`"),
        );
        components.add_security_scheme(
            "service_token",
            bearer("The deployment's service token (`--service-token`)"),
        );
    }
}

/// The document as JSON, with the running version; the portal API's part
/// comes from [`crate::portal::routes::PortalApiDoc`], the federation callback's
/// (when `federation` runs here) from [`crate::federation::openapi`].
pub fn document(federation: bool) -> utoipa::openapi::OpenApi {
    let mut openapi = ApiDoc::openapi();
    openapi.merge(crate::portal::routes::PortalApiDoc::openapi());
    if federation {
        openapi.merge(crate::federation::openapi::CallbackApiDoc::openapi());
    }
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    openapi
}

/// `GET` of `document` as pretty JSON, rendered once (the national
/// `/openapi.json` and the gateway's).
pub fn json_route<S: Clone + Send + Sync + 'static>(
    document: &utoipa::openapi::OpenApi,
) -> axum::routing::MethodRouter<S> {
    let json: Arc<str> = document
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
        .into();
    get(move || {
        let json = Arc::clone(&json);
        async move {
            (
                [(header::CONTENT_TYPE, "application/json")],
                json.to_string(),
            )
        }
    })
}

/// `/openapi.json`, `/api/docs` and its stylesheet; rendered once.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(federation: bool) -> Router<S> {
    let document = document(federation);
    let html: Arc<str> = page::render(&serde_json::to_value(&document).unwrap_or_default()).into();
    Router::new()
        .route("/openapi.json", json_route(&document))
        .route(
            "/api/docs",
            get(move || {
                let html = Arc::clone(&html);
                async move { html_response(html.to_string()) }
            }),
        )
        .route(
            "/api/docs/style.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], page::STYLE) }),
        )
}

/// The gateway's `/openapi.json` ([`crate::federation::openapi`]); rendered once.
pub(crate) fn gateway_routes() -> Router {
    Router::new().route(
        "/openapi.json",
        json_route(&crate::federation::openapi::document()),
    )
}

fn html_response(body: String) -> axum::response::Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'",
        ),
    );
    response
}
