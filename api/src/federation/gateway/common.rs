//! What the gateway's routes share: its state, the caller's country (from
//! the client certificate), its bounds, and the answers of the EFGS
//! contract that the one error shape has no variant for.

use std::sync::Arc;

use axum::Extension;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::federation::tls::ClientCountry;

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
    pub callbacks: crate::federation::client::FederationClient,
    /// Callback URLs may be `http://` and on private or loopback addresses
    /// (a local set-up; never in production).
    pub allow_local_callbacks: bool,
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

pub(super) fn header_text<'a>(headers: &'a HeaderMap, name: &'static str) -> AppResult<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            AppError::bad_request("missing_header", format!("the {name} header is missing"))
        })
}

/// An error in the one JSON shape with any status (for those
/// [`AppError`] has no variant for: 406, 415 with a reason).
pub(super) fn status_error(
    status: StatusCode,
    error: &'static str,
    message: impl Into<String>,
) -> Response {
    let body = shared::verification::wire::ErrorBody {
        error: error.to_owned(),
        message: message.into(),
    };
    (status, axum::Json(body)).into_response()
}

/// `YYYY-MM-DD` of a path, or 400.
pub(super) fn parse_date(date: &str) -> AppResult<i64> {
    crate::federation::batch::day_of(date)
        .ok_or_else(|| AppError::bad_request("invalid_date", "the date must be YYYY-MM-DD"))
}

/// 410 for a date before the retention.
pub(super) fn check_retention(day: i64) -> AppResult<()> {
    let today = crate::clock::now().div_euclid(86_400);
    if day < today - RETENTION_DAYS {
        return Err(AppError::Gone("batches of this date are no longer kept"));
    }
    Ok(())
}
