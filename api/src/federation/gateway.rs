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
use futures_util::TryStreamExt;
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use sqlx::Row;

use super::batch::{self, FederatedKey, MAX_KEYS_PER_BATCH};
use super::tls::ClientCountry;
use crate::db::Db;
use crate::error::{AppError, AppResult};

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

async fn upload(
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
    let stored = store_batch(&state.db, &uploader, tag, &keys, now).await?;
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
    let body = serde_json::json!({
        "201": stored.created,
        "409": stored.conflicts,
        "500": Vec::<usize>::new(),
    });
    Ok((StatusCode::MULTI_STATUS, Json(body)).into_response())
}

/// What storing a batch did.
struct Stored {
    /// The gateway's tag of the batch; `None` when every key was known.
    tag: Option<String>,
    /// Indices of the keys stored.
    created: Vec<usize>,
    /// Indices of keys stored before (by any batch).
    conflicts: Vec<usize>,
}

/// Stores a batch in one transaction; `None` when the uploader used the tag before.
async fn store_batch(
    db: &Db,
    uploader: &str,
    upload_tag: &str,
    keys: &[FederatedKey],
    now: i64,
) -> Result<Option<Stored>, sqlx::Error> {
    let date = batch::date_of(now);
    let mut tx = db.pool().begin().await?;
    // Batches past the retention go first (their keys with them).
    let expired = now - (RETENTION_DAYS + 1) * 86_400;
    sqlx::query(
        "DELETE FROM gateway_keys WHERE batch_id IN \
         (SELECT id FROM gateway_batches WHERE created_at < $1)",
    )
    .bind(expired)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM gateway_batches WHERE created_at < $1")
        .bind(expired)
        .execute(&mut *tx)
        .await?;
    let id: Option<i64> = sqlx::query(
        "INSERT INTO gateway_batches (tag, uploader, upload_tag, batch_date, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (uploader, upload_tag) DO NOTHING RETURNING id",
    )
    .bind(format!("pending-{uploader}-{upload_tag}"))
    .bind(uploader)
    .bind(upload_tag)
    .bind(&date)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()?;
    let Some(id) = id else {
        return Ok(None);
    };
    let (mut created, mut conflicts) = (Vec::new(), Vec::new());
    for (index, key) in keys.iter().enumerate() {
        let done = sqlx::query(
            "INSERT INTO gateway_keys (key_data, batch_id, rolling_start_interval_number, \
             rolling_period, transmission_risk_level, visited_countries, origin, report_type, \
             days_since_onset_of_symptoms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key.key.key_data.to_vec())
        .bind(id)
        .bind(i64::from(key.key.rolling_start_interval_number))
        .bind(i64::from(key.key.rolling_period))
        .bind(i64::from(key.key.transmission_risk_level))
        .bind(key.visited.join(","))
        .bind(&key.origin)
        .bind(i64::from(key.key.report_type.code()))
        // As it came: the EFGS encoding (see `batch::Dsos`).
        .bind(i64::from(key.dsos.encode()))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            created.push(index);
        } else {
            conflicts.push(index);
        }
    }
    let tag = if created.is_empty() {
        // Nothing new: the tag stays used, but no empty batch is served.
        sqlx::query("UPDATE gateway_batches SET tag = $1 WHERE id = $2")
            .bind(format!("empty-{id}"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        None
    } else {
        let tag = format!("{}-{id}", date.replace('-', ""));
        sqlx::query("UPDATE gateway_batches SET tag = $1 WHERE id = $2")
            .bind(&tag)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Some(tag)
    };
    tx.commit().await?;
    Ok(Some(Stored {
        tag,
        created,
        conflicts,
    }))
}

/// The batches of `date` that `country` may download, in upload order.
async fn batches_for(
    db: &Db,
    date: &str,
    country: &str,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut rows = sqlx::query(
        "SELECT b.id, b.tag FROM gateway_batches b WHERE b.batch_date = $1 AND b.uploader <> $2 \
         AND EXISTS (SELECT 1 FROM gateway_keys k WHERE k.batch_id = b.id AND k.origin <> $2) \
         ORDER BY b.id",
    )
    .bind(date)
    .bind(country)
    .fetch(db.pool());
    let mut batches = Vec::new();
    while let Some(row) = rows.try_next().await? {
        batches.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(batches)
}

async fn download(
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
    let batches = batches_for(&state.db, &batch::date_of(day * 86_400), &requester).await?;
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
    let keys = batch_keys(&state.db, *id, &requester).await?;
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

/// The keys of one batch, without those of `requester`'s origin.
async fn batch_keys(
    db: &Db,
    batch_id: i64,
    requester: &str,
) -> Result<Vec<proto::efgs::DiagnosisKey>, AppError> {
    let mut rows = sqlx::query(
        "SELECT key_data, rolling_start_interval_number, rolling_period, transmission_risk_level, \
         visited_countries, origin, report_type, days_since_onset_of_symptoms \
         FROM gateway_keys WHERE batch_id = $1 AND origin <> $2 ORDER BY key_data",
    )
    .bind(batch_id)
    .bind(requester)
    .fetch(db.pool());
    let mut keys = Vec::new();
    let int = |value: i64| i32::try_from(value).unwrap_or(0);
    while let Some(row) = rows.try_next().await? {
        let data: Vec<u8> = row.try_get(0)?;
        let visited: String = row.try_get(4)?;
        keys.push(proto::efgs::DiagnosisKey {
            key_data: data.into(),
            rolling_start_interval_number: u32::try_from(row.try_get::<i64, _>(1)?).unwrap_or(0),
            rolling_period: u32::try_from(row.try_get::<i64, _>(2)?).unwrap_or(0),
            transmission_risk_level: int(row.try_get(3)?),
            visited_countries: visited
                .split(',')
                .filter(|code| !code.is_empty())
                .map(str::to_owned)
                .collect(),
            origin: row.try_get(5)?,
            report_type: int(row.try_get(6)?),
            days_since_onset_of_symptoms: int(row.try_get(7)?),
        });
    }
    Ok(keys)
}

/// `?url=...` of a callback registration.
#[derive(Debug, serde::Deserialize)]
struct CallbackQuery {
    url: String,
}

async fn register_callback(
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
    let url = url::Url::parse(&query.url)
        .ok()
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

async fn list_callbacks(
    State(state): State<GatewayState>,
    Extension(client): Extension<ClientCountry>,
) -> AppResult<Json<Vec<serde_json::Value>>> {
    let country = country(&client)?;
    let rows = sqlx::query(
        "SELECT callback_id, url FROM gateway_callbacks WHERE country = $1 ORDER BY callback_id",
    )
    .bind(country)
    .fetch_all(state.db.pool())
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get(0)?;
        let url: String = row.try_get(1)?;
        list.push(serde_json::json!({"callbackId": id, "url": url}));
    }
    Ok(Json(list))
}

async fn delete_callback(
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
