//! Serves the built portal (trunk's `dist` folder): files as they are, and
//! `index.html` for every other path so the client-side router can take it.

use std::path::Path;

use tower_http::services::{ServeDir, ServeFile};

/// The static-file service for the portal folder.
pub(super) fn service(dir: &Path) -> ServeDir<ServeFile> {
    ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(dir.join("index.html")))
}
