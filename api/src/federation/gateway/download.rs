//! `GET /diagnosiskeys/download/{date}` (and its `OPTIONS`), and
//! `GET /diagnosiskeys/audit/download/{date}/{batchTag}`, as EFGS's
//! `DownloadController` and `AuditController` answer them.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use shared::verification::wire::ErrorBody;

use super::common::{Country, GatewayState, check_retention, parse_date, status_error};
use super::media::{self, Format};
use super::store::{self, BatchRow};
use crate::error::{AppError, AppResult};
use crate::extract::Binary;

/// One batch of a date: the first, or the one `batchTag` names.
#[utoipa::path(get, path = "/diagnosiskeys/download/{date}", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("date" = String, Path, description = "The day the batches arrived, `YYYY-MM-DD` (UTC)", example = "2026-11-20"),
        ("batchTag" = Option<String>, Header, description = "The batch to answer (a `nextBatchTag` of an earlier answer); without it, the date's first"),
        ("Accept" = String, Header, description = "`application/protobuf; version=1.0` (cwa-server's) or `application/json; version=1.0`"),
    ),
    responses(
        (status = 200, description = "A `DiagnosisKeyBatch`: the batch's keys exactly as uploaded, without those the caller uploaded",
            body = Binary, content_type = "application/protobuf; version=1.0",
            headers(
                ("batchTag" = String, description = "This batch's tag"),
                ("nextBatchTag" = String, description = "The tag of the date's next batch, `null` after the last"),
            )),
        (status = 400, description = "The date is not `YYYY-MM-DD`, or the tag names a batch of another date", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 404, description = "No batch on this date, or no batch with this tag", body = ErrorBody),
        (status = 406, description = "`Accept` names neither format", body = ErrorBody),
        (status = 410, description = "The date is older than the retention (14 days)", body = ErrorBody),
        (status = 415, description = "`Accept` without `version=1.0`", body = ErrorBody),
    ))]
pub async fn download(
    State(state): State<GatewayState>,
    Extension(Country(requester)): Extension<Country>,
    Path(date): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let day = parse_date(&date)?;
    check_retention(day)?;
    let date = crate::federation::batch::date_of(day * 86_400);
    let batch = match headers
        .get("batchTag")
        .and_then(|value| value.to_str().ok())
    {
        None => store::next_batch(&state.db, &date, 0)
            .await?
            .ok_or(AppError::NotFound("no batch for this date"))?,
        Some(tag) => {
            let batch = store::batch_by_tag(&state.db, tag)
                .await?
                .filter(|batch| !batch.tag.starts_with("pending-"))
                .ok_or(AppError::NotFound("no batch with this tag"))?;
            if batch.date != date {
                return Err(AppError::bad_request(
                    "date_mismatch",
                    "the batch tag names a batch of another date",
                ));
            }
            batch
        }
    };
    let format = match media::answer_format(&headers) {
        Ok(format) => format,
        Err(refused) => return Ok(status_error(refused.status, refused.error, refused.message)),
    };
    // A country never gets back what it uploaded (EFGS filters by uploader).
    let keys = if batch.uploader.country == requester {
        Vec::new()
    } else {
        store::batch_keys(&state.db, batch.id).await?
    };
    let next = store::next_batch(&state.db, &date, batch.id)
        .await?
        .map_or_else(|| "null".to_owned(), |next| next.tag);
    let body = DiagnosisKeyBatch { keys };
    let bytes = match format {
        Format::Protobuf => body.encode_to_vec(),
        Format::Json => serde_json::to_vec(&media::to_json(&body)).unwrap_or_default(),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert("x-protobuf-schema", HeaderValue::from_static("Efgs.proto"));
    headers.insert(
        "x-protobuf-message",
        HeaderValue::from_static("eu.interop.DiagnosisKeyBatch"),
    );
    // Header names are case-insensitive; HTTP/1.1 sends them lower-cased.
    for (name, value) in [
        ("batchtag", batch.tag.as_str()),
        ("nextbatchtag", next.as_str()),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(axum::http::HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

/// What the download route offers (EFGS `getEndpointInformation`).
#[utoipa::path(options, path = "/diagnosiskeys/download/{date}", tag = "gateway",
    security(("country_certificate" = [])),
    params(("date" = String, Path, description = "Any date")),
    responses((status = 200, description = "The methods and formats of the download route",
        headers(
            ("Allow" = String, description = "`GET,OPTIONS`"),
            ("Accept" = String, description = "`application/json; version=1.0, application/protobuf; version=1.0`"),
        ))))]
pub async fn download_options() -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static("GET,OPTIONS"));
    headers.insert(
        header::ACCEPT,
        HeaderValue::from_static(
            "application/json; version=1.0, application/protobuf; version=1.0",
        ),
    );
    response
}

/// One upload of a batch, as EFGS's `AuditEntry` carries it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The uploader's country.
    pub country: String,
    /// When the batch arrived (RFC 3339, UTC).
    pub uploaded_time: String,
    /// The uploader's TLS client certificate (PEM).
    pub uploader_certificate: Option<String>,
    /// Its SHA-256 thumbprint (hex).
    pub uploader_thumbprint: String,
    /// The trust anchor's signature over the uploader's certificate; this
    /// gateway has no trust anchor besides its CA: always `null`.
    pub uploader_operator_signature: Option<String>,
    /// The certificate that signed the batch (PEM).
    pub signing_certificate: Option<String>,
    /// Its SHA-256 thumbprint (hex).
    pub uploader_signing_thumbprint: Option<String>,
    /// The trust anchor's signature over the signing certificate: `null`.
    pub signing_certificate_operator_signature: Option<String>,
    /// How many keys the upload held.
    pub amount: i64,
    /// The `batchSignature` the uploader sent.
    pub batch_signature: String,
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn audit_entry(batch: BatchRow) -> AuditEntry {
    let uploaded_time = time::OffsetDateTime::from_unix_timestamp(batch.created_at)
        .ok()
        .and_then(|time| {
            time.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let uploader = batch.uploader;
    AuditEntry {
        country: uploader.country,
        uploaded_time,
        uploader_certificate: non_empty(&uploader.certificate),
        uploader_thumbprint: uploader.thumbprint,
        uploader_operator_signature: None,
        signing_certificate: non_empty(&uploader.signer_certificate),
        uploader_signing_thumbprint: non_empty(&uploader.signer_thumbprint),
        signing_certificate_operator_signature: None,
        amount: batch.key_count,
        batch_signature: uploader.signature,
    }
}

/// Who uploaded a batch, with which certificates and signature, so that a
/// downloader can verify the uploader's signature over the keys it got.
#[utoipa::path(get, path = "/diagnosiskeys/audit/download/{date}/{batchTag}", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("date" = String, Path, description = "The batch's date, `YYYY-MM-DD` (UTC)", example = "2026-11-20"),
        ("batchTag" = String, Path, description = "The gateway's tag of the batch (the download's `batchTag`)"),
    ),
    responses(
        (status = 200, description = "One entry per upload in the batch", body = Vec<AuditEntry>),
        (status = 400, description = "The date is not `YYYY-MM-DD`", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 404, description = "No batch with this tag on this date", body = ErrorBody),
        (status = 410, description = "The date is older than the retention (14 days)", body = ErrorBody),
    ))]
pub async fn audit(
    State(state): State<GatewayState>,
    Path((date, tag)): Path<(String, String)>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    let day = parse_date(&date)?;
    check_retention(day)?;
    let date = crate::federation::batch::date_of(day * 86_400);
    let batch = store::batch_by_tag(&state.db, &tag)
        .await?
        .filter(|batch| batch.date == date && !batch.tag.starts_with("pending-"))
        .ok_or(AppError::NotFound("batch tag not found"))?;
    Ok(Json(vec![audit_entry(batch)]))
}
