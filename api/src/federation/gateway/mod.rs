//! The gateway role (`warn serve --services gateway`): the EFGS contract
//! over mTLS, with its own tables (`gateway_*`).
//!
//! - `POST /diagnosiskeys/upload`: a signed batch of at most 5,000 keys,
//!   all of the uploader's own origin. 201; 207 when some keys were stored
//!   already; 400 (malformed, bad signature, forged origin), 409 (repeated
//!   batch tag), 413 (too many keys). A refused batch stores nothing.
//! - `GET /diagnosiskeys/download/{date}`: one batch of that date (the first,
//!   or the one named by the `batchTag` header) with `batchTag` and
//!   `nextBatchTag` (`null` for the last). A country never sees its own
//!   batches nor keys of its own origin. 404 when there is none; 410 before
//!   the retention.
//! - `PUT /diagnosiskeys/callback/{id}?url=...`, `GET /diagnosiskeys/callback`,
//!   `DELETE /diagnosiskeys/callback/{id}`: the URLs called (with `batchTag`
//!   and `date` query parameters) when another country's batch arrives.
//!
//! Batches older than the retention are deleted with the next upload.
//!
//! The uploader's country comes from its TLS client certificate
//! ([`super::tls::ClientCountry`]), never from the request.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use shared::verification::wire::ErrorBody;
use sqlx::Row;

use super::batch::{self, FederatedKey, MAX_KEYS_PER_BATCH};
use super::tls::ClientCountry;
use crate::db::Db;
use crate::error::{AppError, AppResult};

mod store;

/// How many days the gateway keeps batches (older dates answer 410).
pub const RETENTION_DAYS: i64 = 14;

/// What the gateway's handlers share.
#[derive(Clone)]
pub struct GatewayState {
    /// The gateway's own database.
    pub db: Db,
    /// The CA whose certificates may sign batches.
    pub ca: Arc<x509_cert::Certificate>,
    /// Calls the countries' callbacks (with the gateway's certificate).
    pub callbacks: super::client::FederationClient,
}

/// A `DiagnosisKeyBatch` protobuf (`proto/efgs.proto`), for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // described, never built: the handlers encode and decode batches themselves
pub struct BatchBytes(Vec<u8>);

/// The answer to an upload of which some keys were known (207): indices
/// into the uploaded batch, by what became of each key.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    /// Keys stored now.
    #[serde(rename = "201")]
    pub created: Vec<usize>,
    /// Keys the gateway held already (from any batch).
    #[serde(rename = "409")]
    pub conflicts: Vec<usize>,
    /// Keys that failed; always empty (a batch is stored in one transaction).
    #[serde(rename = "500")]
    pub failed: Vec<usize>,
}

/// A registered callback.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackEntry {
    /// The id the country chose.
    pub callback_id: String,
    /// The URL the gateway calls (with `batchTag` and `date` added).
    pub url: String,
}

/// The gateway's routes.
pub fn routes(state: GatewayState) -> Router {
    Router::new()
        .route("/diagnosiskeys/upload", post(upload))
        .route("/diagnosiskeys/download/{date}", get(download))
        .route("/diagnosiskeys/callback", get(list_callbacks))
        .route(
            "/diagnosiskeys/callback/{id}",
            put(register_callback).delete(delete_callback),
        )
        .with_state(state)
}

fn country(client: &ClientCountry) -> AppResult<&str> {
    client.0.as_deref().ok_or(AppError::Forbidden(
        "the client certificate names no country",
    ))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &'static str) -> AppResult<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            AppError::bad_request("missing_header", format!("the {name} header is missing"))
        })
}

/// Takes a signed batch of the uploader's own keys.
#[utoipa::path(post, path = "/diagnosiskeys/upload", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("batchTag" = String, Header, description = "The uploader's name for the batch: 1 to 100 letters, digits, `-`, `_`, `.`; once per uploader"),
        ("batchSignature" = String, Header, description = "Base64 of a detached CMS SignedData over the batch's canonical bytes, by a certificate of the federation's CA whose `C=` is the uploader's country"),
    ),
    request_body(content = BatchBytes, content_type = "application/protobuf; version=1.0",
        description = "A `DiagnosisKeyBatch`: 1 to 5,000 keys, each of the uploader's origin"),
    responses(
        (status = 201, description = "Every key stored"),
        (status = 207, description = "Stored, but some keys the gateway held already", body = UploadResult),
        (status = 400, description = "Malformed batch, header or key; a key of another origin than the uploader's certificate (`invalid_origin`); a signature that does not verify or names another country (`invalid_signature`). Nothing stored", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 409, description = "The uploader used this batch tag before; nothing stored", body = ErrorBody),
        (status = 413, description = "More than 5,000 keys; nothing stored", body = ErrorBody),
        (status = 415, description = "Not `application/protobuf`", body = ErrorBody),
    ))]
pub(crate) async fn upload(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let uploader = country(&client)?.to_owned();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/protobuf") {
        return Err(AppError::UnsupportedMediaType(batch::CONTENT_TYPE));
    }
    let tag = header_text(&headers, "batchTag")?;
    if !batch::is_batch_tag(tag) {
        return Err(AppError::bad_request(
            "invalid_batch_tag",
            "the batch tag must be 1 to 100 letters, digits, '-', '_' or '.'",
        ));
    }
    let signature = header_text(&headers, "batchSignature")?;
    let received = DiagnosisKeyBatch::decode(body).map_err(|_| {
        AppError::bad_request("invalid_batch", "the body is not a DiagnosisKeyBatch")
    })?;
    if received.keys.len() > MAX_KEYS_PER_BATCH {
        return Err(AppError::TooManyKeys(MAX_KEYS_PER_BATCH));
    }
    if received.keys.is_empty() {
        return Err(AppError::bad_request(
            "empty_batch",
            "the batch holds no key",
        ));
    }
    let mut keys = Vec::with_capacity(received.keys.len());
    for (index, key) in received.keys.iter().enumerate() {
        let key = FederatedKey::from_efgs(key).map_err(|error| {
            AppError::bad_request("invalid_key", format!("key {index}: {error}"))
        })?;
        if key.origin != uploader {
            return Err(AppError::bad_request(
                "invalid_origin",
                format!(
                    "key {index} names origin {}, but the uploader is {uploader}",
                    key.origin
                ),
            ));
        }
        keys.push(key);
    }
    let signer = super::signature::verify(
        &super::signature::canonical_bytes(&received),
        signature,
        &state.ca,
        crate::clock::now(),
    )
    .map_err(|error| AppError::bad_request("invalid_signature", error.to_string()))?;
    if signer != uploader {
        return Err(AppError::bad_request(
            "invalid_signature",
            format!("the batch is signed for {signer}, but the uploader is {uploader}"),
        ));
    }
    let now = crate::clock::now();
    let stored = store::store_batch(&state.db, &uploader, tag, &keys, now).await?;
    let Some(stored) = stored else {
        return Err(AppError::Conflict("this batch tag was uploaded already"));
    };
    tracing::info!(
        uploader = %uploader,
        keys = stored.created.len(),
        duplicates = stored.conflicts.len(),
        "gateway: batch uploaded"
    );
    if let Some(tag) = &stored.tag {
        notify(&state, &uploader, tag, &batch::date_of(now)).await;
    }
    if stored.conflicts.is_empty() {
        return Ok(StatusCode::CREATED.into_response());
    }
    let body = UploadResult {
        created: stored.created,
        conflicts: stored.conflicts,
        failed: Vec::new(),
    };
    Ok((StatusCode::MULTI_STATUS, Json(body)).into_response())
}

/// One batch of a date: the first, or the one `batchTag` names.
#[utoipa::path(get, path = "/diagnosiskeys/download/{date}", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("date" = String, Path, description = "The day the batches arrived, `YYYY-MM-DD` (UTC)", example = "2026-11-20"),
        ("batchTag" = Option<String>, Header, description = "The batch to answer (a `nextBatchTag` of an earlier answer); without it, the date's first"),
    ),
    responses(
        (status = 200, description = "A `DiagnosisKeyBatch` of other countries' keys (never the caller's own origin)",
            body = BatchBytes, content_type = "application/protobuf; version=1.0",
            headers(
                ("batchTag" = String, description = "This batch's tag"),
                ("nextBatchTag" = String, description = "The tag of the date's next batch, `null` after the last"),
            )),
        (status = 400, description = "The date is not `YYYY-MM-DD`", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 404, description = "No batch for the caller on this date, or no batch with this tag", body = ErrorBody),
        (status = 410, description = "The date is older than the retention (14 days)", body = ErrorBody),
    ))]
pub(crate) async fn download(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
    Path(date): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let requester = country(&client)?.to_owned();
    let day = batch::day_of(&date)
        .ok_or_else(|| AppError::bad_request("invalid_date", "the date must be YYYY-MM-DD"))?;
    let today = crate::clock::now().div_euclid(86_400);
    if day < today - RETENTION_DAYS {
        return Err(AppError::Gone("batches of this date are no longer kept"));
    }
    let batches = store::batches_for(&state.db, &batch::date_of(day * 86_400), &requester).await?;
    let position = match headers
        .get("batchTag")
        .and_then(|value| value.to_str().ok())
    {
        None => 0,
        Some(tag) => batches
            .iter()
            .position(|(_, known)| known == tag)
            .ok_or(AppError::NotFound("no batch with this tag on this date"))?,
    };
    let Some((id, tag)) = batches.get(position) else {
        return Err(AppError::NotFound("no batch for this date"));
    };
    let keys = store::batch_keys(&state.db, *id, &requester).await?;
    let next = batches
        .get(position + 1)
        .map_or("null", |(_, tag)| tag.as_str());
    let body = DiagnosisKeyBatch { keys }.encode_to_vec();
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(batch::CONTENT_TYPE),
    );
    // Header names are case-insensitive; HTTP/1.1 sends them as written here.
    for (name, value) in [("batchtag", tag.as_str()), ("nextbatchtag", next)] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(axum::http::HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

/// `?url=...` of a callback registration.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct CallbackQuery {
    /// Optional here so that a missing one is answered in the one error shape.
    url: Option<String>,
}

/// Registers (or replaces) one of the caller's callbacks.
#[utoipa::path(put, path = "/diagnosiskeys/callback/{id}", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("id" = String, Path, description = "The caller's id for the callback: 1 to 100 letters, digits, `-`, `_`, `.`"),
        ("url" = String, Query, description = "The `http(s)` URL to call, with `batchTag` and `date` added, when another country's batch arrives"),
    ),
    responses(
        (status = 200, description = "Registered"),
        (status = 400, description = "A malformed id, or a URL that is missing or not `http(s)`", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
    ))]
pub(crate) async fn register_callback(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> AppResult<StatusCode> {
    let country = country(&client)?;
    if !batch::is_batch_tag(&id) {
        return Err(AppError::bad_request(
            "invalid_callback_id",
            "the callback id must be 1 to 100 letters, digits, '-', '_' or '.'",
        ));
    }
    let url = query
        .url
        .as_deref()
        .and_then(|url| url::Url::parse(url).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .ok_or_else(|| AppError::bad_request("invalid_url", "the callback URL must be http(s)"))?;
    sqlx::query(
        "INSERT INTO gateway_callbacks (country, callback_id, url) VALUES ($1, $2, $3) \
         ON CONFLICT (country, callback_id) DO UPDATE SET url = excluded.url",
    )
    .bind(country)
    .bind(&id)
    .bind(url.as_str())
    .execute(state.db.pool())
    .await?;
    Ok(StatusCode::OK)
}

/// The caller's callbacks.
#[utoipa::path(get, path = "/diagnosiskeys/callback", tag = "gateway",
    security(("country_certificate" = [])),
    responses(
        (status = 200, description = "The caller's callbacks, by id", body = Vec<CallbackEntry>),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
    ))]
pub(crate) async fn list_callbacks(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
) -> AppResult<Json<Vec<CallbackEntry>>> {
    let country = country(&client)?;
    let rows = sqlx::query(
        "SELECT callback_id, url FROM gateway_callbacks WHERE country = $1 ORDER BY callback_id",
    )
    .bind(country)
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
pub(crate) async fn delete_callback(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let country = country(&client)?;
    let done = sqlx::query("DELETE FROM gateway_callbacks WHERE country = $1 AND callback_id = $2")
        .bind(country)
        .bind(&id)
        .execute(state.db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no callback with this id"));
    }
    Ok(StatusCode::OK)
}

/// Calls the callbacks of every other country, in the background; a failed
/// call is logged (the country's scheduled download catches up).
async fn notify(state: &GatewayState, uploader: &str, tag: &str, date: &str) {
    let rows = match sqlx::query("SELECT url FROM gateway_callbacks WHERE country <> $1")
        .bind(uploader)
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
        let Ok(mut url) = url::Url::parse(&url) else {
            continue;
        };
        url.query_pairs_mut()
            .append_pair("batchTag", tag)
            .append_pair("date", date);
        let client = state.callbacks.clone();
        tokio::spawn(async move {
            match client.get(url.as_str(), &[]).await {
                Ok(answer) if answer.status.is_success() => {}
                Ok(answer) => {
                    tracing::warn!(status = %answer.status, "gateway: a callback answered an error");
                }
                Err(error) => tracing::warn!(%error, "gateway: a callback failed"),
            }
        });
    }
}
