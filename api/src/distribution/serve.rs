//! Serving the published files under `/version/v1/...` and
//! `/version/v2/...` from memory.
//!
//! The whole published tree (a few hundred files, tens of megabytes for a
//! million keys) is loaded into a map with a precomputed ETag after each
//! run, so a request costs a map lookup: no file system access, and so no
//! path on disk that a request could escape to.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use shared::paths::{ROOT, ROOT_V2};

use super::publish::{PublishError, Publisher, cache_control, content_type};

/// One published file, ready to send.
#[derive(Debug, Clone)]
struct Entry {
    body: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
    cache_control: HeaderValue,
}

/// The published files, by public path (`version/v1/...`).
#[derive(Debug, Clone, Default)]
pub struct PublishedFiles {
    files: Arc<RwLock<Arc<HashMap<String, Entry>>>>,
}

impl PublishedFiles {
    /// Loads every file of the store, replacing what was held.
    pub async fn reload(&self, publisher: &Publisher) -> Result<usize, PublishError> {
        let mut files = HashMap::new();
        let mut listed = publisher.list(ROOT).await?;
        listed.extend(publisher.list(ROOT_V2).await?);
        for path in listed {
            if let Some(body) = publisher.get(&path).await? {
                let entry = entry(&path, body);
                files.insert(path, entry);
            }
        }
        let count = files.len();
        if let Ok(mut held) = self.files.write() {
            *held = Arc::new(files);
        }
        Ok(count)
    }

    fn lookup(&self, path: &str) -> Option<Entry> {
        let files = self.files.read().ok()?.clone();
        files.get(path).cloned()
    }
}

/// The file at public path `path` with its headers.
fn entry(path: &str, body: Bytes) -> Entry {
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    Entry {
        etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        content_type: HeaderValue::from_static(content_type(path)),
        cache_control: HeaderValue::from_static(cache_control(path)),
        body,
    }
}

/// `GET /version/v1/{*path}` and `GET /version/v2/{*path}`.
pub fn routes<S>(files: PublishedFiles) -> Router<S> {
    Router::new()
        .route("/version/v1/{*path}", get(serve_v1))
        .route("/version/v2/{*path}", get(serve_v2))
        .with_state(files)
}

async fn serve_v1(
    State(files): State<PublishedFiles>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&files, ROOT, &path, &headers)
}

async fn serve_v2(
    State(files): State<PublishedFiles>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&files, ROOT_V2, &path, &headers)
}

fn serve(files: &PublishedFiles, root: &str, path: &str, headers: &HeaderMap) -> Response {
    let Some(entry) = files.lookup(&format!("{root}/{}", path.trim_end_matches('/'))) else {
        return crate::error::AppError::NotFound("no such file").into_response();
    };
    let common = [
        (header::ETAG, entry.etag.clone()),
        (header::CACHE_CONTROL, entry.cache_control.clone()),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|wanted| matches(wanted, &entry.etag))
    {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, entry.content_type)],
        entry.body,
    )
        .into_response()
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, lists, `*`).
fn matches(wanted: &HeaderValue, etag: &HeaderValue) -> bool {
    let (Ok(wanted), Ok(etag)) = (wanted.to_str(), etag.to_str()) else {
        return false;
    };
    wanted.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// The published paths as the OpenAPI document describes them. One handler
/// ([`routes`]) serves them all from memory; these functions exist only to
/// carry each path's description.
#[allow(dead_code)]
pub(crate) mod doc {
    use shared::verification::wire::ErrorBody;

    use crate::extract::Binary;

    const NOT_FOUND: &str = "Not published (yet): an unknown country, an incomplete day or hour";

    /// The countries with bundles.
    #[utoipa::path(get, path = "/version/v1/diagnosis-keys/country", tag = "distribution",
        responses(
            (status = 200, description = "The home country, the supported countries that foreign keys visited, and `EUR` (every key), e.g. `[\"DE\", \"EUR\"]`; ETag, max-age 300", body = Vec<String>),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn country_index() {}

    /// The complete days of a country.
    #[utoipa::path(get, path = "/version/v1/diagnosis-keys/country/{country}/date", tag = "distribution",
        params(("country" = String, Path, description = "ISO 3166 alpha-2 code", example = "DE")),
        responses(
            (status = 200, description = "Dates `YYYY-MM-DD`, oldest first, at most 14; ETag, max-age 300", body = Vec<String>),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn date_index() {}

    /// The keys of one complete day.
    #[utoipa::path(get, path = "/version/v1/diagnosis-keys/country/{country}/date/{date}", tag = "distribution",
        params(
            ("country" = String, Path, description = "ISO 3166 alpha-2 code", example = "DE"),
            ("date" = String, Path, description = "A listed date", example = "2026-11-20"),
        ),
        responses(
            (status = 200, description = "The daily bundle (further batches at `.../batch/N`); ETag, max-age 86400", body = Binary, content_type = "application/zip"),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn day_bundle() {}

    /// The complete hours of one day.
    #[utoipa::path(get, path = "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour", tag = "distribution",
        params(
            ("country" = String, Path, description = "ISO 3166 alpha-2 code", example = "DE"),
            ("date" = String, Path, description = "A date, listed or the current one", example = "2026-11-20"),
        ),
        responses(
            (status = 200, description = "Hours 0 to 23 (UTC); ETag, max-age 300", body = Vec<u32>),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn hour_index() {}

    /// The keys published in one complete hour.
    #[utoipa::path(get, path = "/version/v1/diagnosis-keys/country/{country}/date/{date}/hour/{hour}", tag = "distribution",
        params(
            ("country" = String, Path, description = "ISO 3166 alpha-2 code", example = "DE"),
            ("date" = String, Path, description = "A date", example = "2026-11-20"),
            ("hour" = u32, Path, description = "A listed hour", example = 13),
        ),
        responses(
            (status = 200, description = "The hourly bundle (further batches at `.../batch/N`); ETag, max-age 86400", body = Binary, content_type = "application/zip"),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn hour_bundle() {}

    /// The signed application configuration, version 1.
    #[utoipa::path(get, path = "/version/v1/configuration/country/{country}/app_config", tag = "distribution",
        params(("country" = String, Path, description = "ISO 3166 alpha-2 code: the home country", example = "DE")),
        responses(
            (status = 200, description = "A signed bundle (batch 1 of 1) whose `export.bin` is the official v1 `ApplicationConfiguration` protobuf, no header; ETag, max-age 300", body = Binary, content_type = "application/zip"),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn app_config() {}

    /// The signed configuration the released Android app reads.
    #[utoipa::path(get, path = "/version/v2/app_config_android", tag = "distribution",
        responses(
            (status = 200, description = "A signed bundle (batch 1 of 1) whose `export.bin` is the official `ApplicationConfigurationAndroid` protobuf, no header; the same file is at `/version/v1/app_config_android`; ETag, max-age 300", body = Binary, content_type = "application/zip"),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn app_config_android() {}

    /// The signed configuration the released iOS app reads.
    #[utoipa::path(get, path = "/version/v2/app_config_ios", tag = "distribution",
        responses(
            (status = 200, description = "A signed bundle (batch 1 of 1) whose `export.bin` is the official `ApplicationConfigurationIOS` protobuf, no header; the same file is at `/version/v1/app_config_ios`; ETag, max-age 300", body = Binary, content_type = "application/zip"),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn app_config_ios() {}

    /// The public keys that verify bundles.
    #[utoipa::path(get, path = "/version/v1/keys", tag = "distribution",
        responses(
            (status = 200, description = "Every signing key, oldest first: `keyId`, `keyVersion`, `algorithm`, `publicKey` (SPKI PEM), `active`; ETag, max-age 300", body = Vec<crate::distribution::signing::PublishedKey>),
            (status = 304, description = "Unchanged since the ETag of If-None-Match"),
            (status = 404, description = NOT_FOUND, body = ErrorBody),
        ))]
    pub(crate) fn keys() {}
}
