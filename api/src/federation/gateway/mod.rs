//! The gateway role (`warn serve --services gateway`): the contract of the
//! European Federation Gateway Service (EFGS) over mTLS, with its own
//! tables (`gateway_*`). Sources: the controllers of
//! eu-federation-gateway-service/efgs-federation-gateway (`UploadController`,
//! `DownloadController`, `AuditController`, `CallbackAdminController`) and
//! what cwa-server's federation client sends and reads.
//!
//! - `POST /diagnosiskeys/upload` ([`upload`]): a signed batch of at most
//!   5,000 keys, all of the uploader's own origin, as
//!   `application/protobuf; version=1.0` or `application/json; version=1.0`.
//!   201 with the `batchTag` header; 207 `{"201": [], "409": [..], "500": []}`
//!   when some keys' whole records were held already (nothing is stored, as
//!   EFGS rolls the batch back); 400, 406, 409 (a batch tag used before, by
//!   any country, answered before the signature is checked), 413, 415.
//! - `GET /diagnosiskeys/download/{date}` ([`download`]): one batch of that
//!   date (the first, or the one the `batchTag` header names) with
//!   `batchTag` and `nextBatchTag` (`null` after the last); the keys exactly
//!   as uploaded, without those the caller uploaded. 404, 410, 400 (a tag of
//!   another date); `OPTIONS` answers `Allow` and `Accept`.
//! - `GET /diagnosiskeys/audit/download/{date}/{batchTag}` ([`download::audit`]):
//!   who uploaded the batch, with which certificates and signature.
//! - `PUT /diagnosiskeys/callback/{id}?url=...`, `GET /diagnosiskeys/callback`,
//!   `DELETE /diagnosiskeys/callback/{id}` ([`callbacks`]): at most
//!   [`callbacks::MAX_CALLBACKS_PER_COUNTRY`] https URLs on public addresses
//!   per country, called with `batchTag` and `date` when a batch arrives.
//!
//! The caller's country comes from its TLS client certificate and is
//! checked before any body is read ([`require_country`]). Batches older
//! than the retention are deleted with the next upload.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Router};

use super::tls::ClientCountry;
use crate::db::Db;
use crate::error::{AppError, AppResult};

pub mod callbacks;
pub mod download;
pub mod media;
mod store;
pub mod upload;

pub use callbacks::{CallbackEntry, delete_callback, list_callbacks, register_callback};
pub use download::{AuditEntry, audit, download, download_options};
pub use upload::{UploadResult, upload};

/// How many days the gateway keeps batches (older dates answer 410).
pub const RETENTION_DAYS: i64 = 14;

/// The largest upload body read (5,000 keys as JSON with many visited
/// countries stay well below it).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;

/// What the gateway's handlers share.
#[derive(Clone)]
pub struct GatewayState {
    /// The gateway's own database.
    pub db: Db,
    /// The CA whose certificates may sign batches.
    pub ca: Arc<x509_cert::Certificate>,
    /// Calls the countries' callbacks (with the gateway's certificate).
    pub callbacks: super::client::FederationClient,
    /// Callback URLs may be `http://` and on private or loopback addresses
    /// (a local set-up; never in production).
    pub allow_local_callbacks: bool,
}

/// A `DiagnosisKeyBatch` protobuf (`proto/efgs.proto`), for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // described, never built: the handlers encode and decode batches themselves
pub struct BatchBytes(Vec<u8>);

/// The gateway's routes. Every route but `OPTIONS` needs a client
/// certificate that names a country, checked before the body is read.
pub fn routes(state: GatewayState) -> Router {
    let authenticated = Router::new()
        .route(
            "/diagnosiskeys/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/diagnosiskeys/download/{date}", get(download))
        .route(
            "/diagnosiskeys/audit/download/{date}/{batchTag}",
            get(audit),
        )
        .route("/diagnosiskeys/callback", get(list_callbacks))
        .route(
            "/diagnosiskeys/callback/{id}",
            put(register_callback).delete(delete_callback),
        )
        .route_layer(axum::middleware::from_fn(require_country));
    Router::new()
        .route(
            "/diagnosiskeys/download/{date}",
            axum::routing::options(download_options),
        )
        .merge(authenticated)
        .with_state(state)
}

/// The caller's country, from its client certificate.
#[derive(Debug, Clone)]
pub struct Country(pub String);

/// Refuses (403) a request whose client certificate names no country,
/// before anything reads its body; hands the country to the handler.
pub async fn require_country(
    client: Option<Extension<ClientCountry>>,
    mut request: Request,
    next: Next,
) -> Response {
    let country = client.and_then(|Extension(ClientCountry(country))| country);
    let Some(country) = country else {
        return AppError::Forbidden("the client certificate names no country").into_response();
    };
    request.extensions_mut().insert(Country(country));
    next.run(request).await
}

fn header_text<'a>(headers: &'a HeaderMap, name: &'static str) -> AppResult<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            AppError::bad_request("missing_header", format!("the {name} header is missing"))
        })
}

/// An error in the one JSON shape with any status (for those
/// [`AppError`] has no variant for: 406, 415 with a reason).
fn status_error(status: StatusCode, error: &'static str, message: impl Into<String>) -> Response {
    let body = shared::verification::wire::ErrorBody {
        error: error.to_owned(),
        message: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

/// `YYYY-MM-DD` of a path, or 400.
fn parse_date(date: &str) -> AppResult<i64> {
    super::batch::day_of(date)
        .ok_or_else(|| AppError::bad_request("invalid_date", "the date must be YYYY-MM-DD"))
}

/// 410 for a date before the retention.
fn check_retention(day: i64) -> AppResult<()> {
    let today = crate::clock::now().div_euclid(86_400);
    if day < today - RETENTION_DAYS {
        return Err(AppError::Gone("batches of this date are no longer kept"));
    }
    Ok(())
}
