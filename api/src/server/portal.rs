//! Serves the built portal (trunk's `dist` folder): files as they are, and
//! `index.html` for every other path so the client-side router can take it.
//!
//! Every answer carries the Content-Security-Policy as a header as well as
//! the `<meta>` in `index.html`: the header also covers what a meta cannot
//! (`frame-ancestors`), and holds even when a proxy rewrites the page.

use std::path::Path;

use axum::http::{HeaderValue, header};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeader;

/// The portal's policy: its own files, its WebAssembly (compiled, not
/// `eval`), nothing from elsewhere, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

type Files = ServeDir<ServeFile>;

/// The static-file service for the portal folder.
pub(super) fn service(
    dir: &Path,
) -> SetResponseHeader<SetResponseHeader<Files, HeaderValue>, HeaderValue> {
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(dir.join("index.html")));
    let with_csp = SetResponseHeader::overriding(
        files,
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    SetResponseHeader::overriding(
        with_csp,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    )
}
