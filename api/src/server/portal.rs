//! Serves the two built browser apps (trunk's `dist` folder): files as they
//! are; the public verifier's page (`verifier/index.html`) for its routes
//! ([`VERIFIER_PAGES`]); the staff portal's `index.html` for every other
//! path, so the client-side router of each app can take it.
//!
//! Every answer carries the Content-Security-Policy as a header as well as
//! the `<meta>` in `index.html`: the header also covers what a meta cannot
//! (`frame-ancestors`), and holds even when a proxy rewrites the page.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The portal's policy: its own files, its WebAssembly (compiled, not
/// `eval`), nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// The routes of the public verifier app (`verifier.html`, built into
/// `dist/verifier/`); the portal app has the others.
pub const VERIFIER_PAGES: [&str; 3] = ["/bundles", "/risk", "/phone"];

/// The static-file service for the portal folder.
pub(super) fn service(dir: &Path) -> Router {
    let verifier_page = ServeFile::new(dir.join("verifier").join("index.html"));
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(dir.join("index.html")));
    VERIFIER_PAGES
        .iter()
        .fold(Router::new(), |router, page| {
            router.route_service(page, verifier_page.clone())
        })
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}
