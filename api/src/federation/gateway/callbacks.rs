//! The callback routes (EFGS `CallbackAdminController`) and the calls the
//! gateway makes when a batch arrives (`CallbackTaskExecutorService`: `GET`
//! the URL with `batchTag` and `date` added).
//!
//! A URL is accepted as EFGS's `CallbackService.checkUrl` accepts it: it
//! parses, is `https`, carries no query, and its host resolves, to no
//! private, loopback or link-local address (169.254.169.254, the cloud
//! metadata service, included). Each call checks again: an IP literal
//! directly, a host name by a resolver that drops internal addresses
//! ([`crate::federation::client::PublicResolver`]), so a name that
//! re-resolves to one after its check is not reached either. An operator
//! allows `http` and internal addresses only for a local set-up
//! (`--federation-allow-local-callbacks`). A country keeps at most
//! [`MAX_CALLBACKS_PER_COUNTRY`]; answers are read up to 64 KiB.

use std::net::IpAddr;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use shared::verification::wire::ErrorBody;
use sqlx::Row;

use super::common::{Country, GatewayState};
use crate::db::Backend;
use crate::error::{AppError, AppResult};
use crate::federation::batch;
use crate::federation::client::{self, MAX_CALLBACK_ANSWER_BYTES};

/// Most callbacks one country may register.
pub const MAX_CALLBACKS_PER_COUNTRY: i64 = 10;

/// The PostgreSQL advisory lock that serializes callback registrations
/// (rare: one lock for every country is enough).
const CALLBACKS_LOCK: i64 = 0x7761_726e_6362_6b73;

/// A registered callback (EFGS `Callback`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackEntry {
    /// The id the country chose.
    pub callback_id: String,
    /// The URL the gateway calls (with `batchTag` and `date` added).
    pub url: String,
}

/// `?url=...` of a callback registration.
#[derive(Debug, serde::Deserialize)]
pub struct CallbackQuery {
    /// Optional here so that a missing one is answered in the one error shape.
    url: Option<String>,
}

fn invalid_url(message: impl Into<String>) -> AppError {
    AppError::bad_request("invalid_url", message)
}

/// Why `url` may not be called back, if it may not.
pub async fn check_url(url: &str, allow_local: bool) -> Result<url::Url, String> {
    let parsed =
        url::Url::parse(url).map_err(|error| format!("the URL does not parse: {error}"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_local => {}
        _ => return Err("the callback URL must be https".into()),
    }
    if parsed.query().is_some() {
        return Err("the callback URL must not carry a query".into());
    }
    let host = parsed
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or("the callback URL names no host")?;
    if allow_local {
        return Ok(parsed);
    }
    let addresses: Vec<IpAddr> = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        _ => client::resolve(host, 443)
            .await
            .map_err(|_| format!("the callback host {host} does not resolve"))?
            .into_iter()
            .map(|address| address.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("the callback host {host} does not resolve"));
    }
    if addresses.iter().any(|ip| client::is_internal(*ip)) {
        return Err(format!(
            "the callback host {host} resolves to a private, loopback or link-local address"
        ));
    }
    Ok(parsed)
}

/// Registers (or replaces) one of the caller's callbacks, while the
/// country holds fewer than [`MAX_CALLBACKS_PER_COUNTRY`] others. The count
/// and the insert are one statement; on PostgreSQL, where two concurrent
/// statements under READ COMMITTED could each count nine, every
/// registration first takes one advisory lock, so concurrent registrations
/// with different ids stop at the bound (SQLite has one writer).
#[utoipa::path(put, path = "/diagnosiskeys/callback/{id}", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("id" = String, Path, description = "The caller's id for the callback: 1 to 100 letters, digits, `-`, `_`, `.`"),
        ("url" = String, Query, description = "The `https` URL to call, without a query, on a public address; `batchTag` and `date` are added when a batch arrives"),
    ),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "A malformed id; a URL that is missing, not https, carries a query, does not resolve or resolves to an internal address (`invalid_url`); more than 10 callbacks (`too_many_callbacks`)", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
    ))]
pub async fn register_callback(
    State(state): State<GatewayState>,
    Extension(Country(country)): Extension<Country>,
    Path(id): Path<String>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> AppResult<StatusCode> {
    if !batch::is_batch_tag(&id) {
        return Err(AppError::bad_request(
            "invalid_callback_id",
            "the callback id must be 1 to 100 letters, digits, '-', '_' or '.'",
        ));
    }
    let url = query
        .ok()
        .and_then(|Query(query)| query.url)
        .ok_or_else(|| invalid_url("the url parameter is missing"))?;
    let url = check_url(&url, state.allow_local_callbacks)
        .await
        .map_err(invalid_url)?;
    let mut tx = state.db.begin_write().await?;
    if state.db.backend() == Backend::Postgres {
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS taken")
            .bind(CALLBACKS_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    let stored = sqlx::query(
        "INSERT INTO gateway_callbacks (country, callback_id, url) SELECT $1, $2, $3 \
         WHERE (SELECT COUNT(*) FROM gateway_callbacks WHERE country = $1 AND callback_id <> $2) < $4 \
         ON CONFLICT (country, callback_id) DO UPDATE SET url = excluded.url",
    )
    .bind(&country)
    .bind(&id)
    .bind(url.as_str())
    .bind(MAX_CALLBACKS_PER_COUNTRY)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    if stored == 0 {
        return Err(AppError::bad_request(
            "too_many_callbacks",
            format!("a country registers at most {MAX_CALLBACKS_PER_COUNTRY} callbacks"),
        ));
    }
    Ok(StatusCode::OK)
}

/// The caller's callbacks.
#[utoipa::path(get, path = "/diagnosiskeys/callback", tag = "gateway",
    security(("country_certificate" = [])),
    responses(
        (status = 200, description = "The caller's callbacks, by id", body = Vec<CallbackEntry>),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
    ))]
pub async fn list_callbacks(
    State(state): State<GatewayState>,
    Extension(Country(country)): Extension<Country>,
) -> AppResult<Json<Vec<CallbackEntry>>> {
    let rows = sqlx::query(
        "SELECT callback_id, url FROM gateway_callbacks WHERE country = $1 ORDER BY callback_id",
    )
    .bind(&country)
    .fetch_all(state.db.pool())
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.push(CallbackEntry {
            callback_id: row.try_get(0)?,
            url: row.try_get(1)?,
        });
    }
    Ok(Json(list))
}

/// Removes one of the caller's callbacks.
#[utoipa::path(delete, path = "/diagnosiskeys/callback/{id}", tag = "gateway",
    security(("country_certificate" = [])),
    params(("id" = String, Path, description = "The callback's id")),
    responses(
        (status = 200, description = "Removed"),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 404, description = "The caller has no callback with this id", body = ErrorBody),
    ))]
pub async fn delete_callback(
    State(state): State<GatewayState>,
    Extension(Country(country)): Extension<Country>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let done = sqlx::query("DELETE FROM gateway_callbacks WHERE country = $1 AND callback_id = $2")
        .bind(&country)
        .bind(&id)
        .execute(state.db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no callback with this id"));
    }
    Ok(StatusCode::OK)
}

/// Calls every registered callback (EFGS announces a batch to every
/// subscription), in the background; a failed call is logged (the
/// country's scheduled download catches up).
pub(super) async fn notify(state: &GatewayState, tag: &str, date: &str) {
    let rows = match sqlx::query("SELECT url FROM gateway_callbacks")
        .fetch_all(state.db.pool())
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(%error, "gateway: reading the callbacks failed");
            return;
        }
    };
    for row in rows {
        let Ok(url) = row.try_get::<String, _>(0) else {
            continue;
        };
        let allow_local = state.allow_local_callbacks;
        let Ok(mut url) = url::Url::parse(&url) else {
            continue;
        };
        // A literal address does not pass the resolver: check it here.
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if !allow_local && literal.is_some_and(client::is_internal) {
            tracing::warn!("gateway: a callback names an internal address; not called");
            continue;
        }
        url.query_pairs_mut()
            .append_pair("batchTag", tag)
            .append_pair("date", date);
        let client = state.callbacks.clone();
        tokio::spawn(async move {
            let answer = client
                .send_limited(
                    axum::http::Method::GET,
                    url.as_str(),
                    &[],
                    Vec::new(),
                    MAX_CALLBACK_ANSWER_BYTES,
                )
                .await;
            match answer {
                Ok(answer) if answer.status.is_success() => {}
                Ok(answer) => {
                    tracing::warn!(status = %answer.status, "gateway: a callback answered an error");
                }
                Err(error) => tracing::warn!(%error, "gateway: a callback failed"),
            }
        });
    }
}
