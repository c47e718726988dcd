//! `POST /diagnosiskeys/upload`, in the order EFGS's `UploadController`
//! judges an upload: media type and version, headers, body, each key
//! (`DiagnosisKeyBatchValidator`), the batch size (413), the batch tag
//! (409, before the signature), the signature (400), the origin (400), then
//! the keys' records (201, or 207 with nothing stored).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine;
use prost::Message;
use proto::efgs::DiagnosisKeyBatch;
use sha2::{Digest, Sha256};
use shared::verification::wire::ErrorBody;

use super::common::{Country, GatewayState, header_text, status_error};
use super::media::{self, Format};
use super::store::{self, Stored, Uploader};
use crate::error::{AppError, AppResult};
use crate::extract::Binary;
use crate::federation::batch::{self, MAX_KEYS_PER_BATCH};
use crate::federation::signature;
use crate::federation::tls::ClientCertificate;

/// The answer to an upload of which some keys' records were held already
/// (207), as EFGS writes it: indices into the uploaded batch. EFGS rolls
/// the whole batch back, so `201` is always empty and nothing is stored.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    /// Keys stored; always empty (the batch was rolled back).
    #[serde(rename = "201")]
    pub created: Vec<usize>,
    /// Keys whose whole record the gateway held already (from any batch,
    /// or earlier in this one).
    #[serde(rename = "409")]
    pub conflicts: Vec<usize>,
    /// Keys that failed; always empty.
    #[serde(rename = "500")]
    pub failed: Vec<usize>,
}

/// SHA-256 hex of a DER certificate (EFGS `CertificateUtils.getCertThumbprint`).
pub fn thumbprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// A DER certificate as PEM.
pub fn pem(der: &[u8]) -> String {
    if der.is_empty() {
        return String::new();
    }
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Takes a signed batch of the uploader's own keys.
#[utoipa::path(post, path = "/diagnosiskeys/upload", tag = "gateway",
    security(("country_certificate" = [])),
    params(
        ("batchTag" = String, Header, description = "The uploader's name for the batch: 1 to 100 letters, digits, `-`, `_`, `.`; once across all countries"),
        ("batchSignature" = String, Header, description = "Base64 of a detached CMS SignedData over the batch's canonical bytes (EFGS `BatchSignatureUtils`), by a certificate of the federation's CA whose `C=` is the uploader's country"),
    ),
    request_body(content = Binary, content_type = "application/protobuf; version=1.0",
        description = "A `DiagnosisKeyBatch` (or its JSON with `application/json; version=1.0`): 1 to 5,000 keys, each of the uploader's origin"),
    responses(
        (status = 201, description = "Every key stored", headers(("batchTag" = String, description = "The uploaded batch tag"))),
        (status = 207, description = "Some keys' records were held already (`409`); nothing stored", body = UploadResult),
        (status = 400, description = "Malformed batch, header, version or key (`invalid_key`: EFGS's checks); a key of another origin than the uploader's certificate (`invalid_origin`); a signature that does not verify or names another country (`invalid_signature`). Nothing stored", body = ErrorBody),
        (status = 403, description = "The client certificate names no country", body = ErrorBody),
        (status = 406, description = "A content version other than 1.0", body = ErrorBody),
        (status = 409, description = "A country used this batch tag before; nothing stored", body = ErrorBody),
        (status = 413, description = "More than 5,000 keys; nothing stored", body = ErrorBody),
        (status = 415, description = "Neither `application/protobuf` nor `application/json`", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<GatewayState>,
    Extension(Country(uploader)): Extension<Country>,
    client_certificate: Option<Extension<ClientCertificate>>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let format = match media::request_format(&headers) {
        Ok(format) => format,
        Err(refused) => return Ok(status_error(refused.status, refused.error, refused.message)),
    };
    let tag = header_text(&headers, "batchTag")?;
    if !batch::is_batch_tag(tag) {
        return Err(AppError::bad_request(
            "invalid_batch_tag",
            "the batch tag must be 1 to 100 letters, digits, '-', '_' or '.'",
        ));
    }
    let batch_signature = header_text(&headers, "batchSignature")?;
    let received = decode(format, body)?;
    let now = crate::clock::now();
    check_keys(&received, now)?;
    if store::upload_tag_used(&state.db, tag).await? {
        return Err(AppError::Conflict("this batch tag was uploaded already"));
    }
    let signer = check_signature(&state, &received, batch_signature, &uploader, now)?;
    let client = client_certificate.map(|Extension(ClientCertificate(der))| der);
    let client = client.unwrap_or_default();
    let record = Uploader {
        country: uploader.clone(),
        upload_tag: tag.to_owned(),
        signature: batch_signature.to_owned(),
        thumbprint: thumbprint(&client),
        certificate: pem(&client),
        signer_thumbprint: thumbprint(&signer.certificate),
        signer_certificate: pem(&signer.certificate),
    };
    match store::store_batch(&state.db, &record, &received.keys, now).await? {
        Stored::TagUsed => Err(AppError::Conflict("this batch tag was uploaded already")),
        Stored::Conflicts(conflicts) => {
            tracing::info!(uploader = %uploader, conflicts = conflicts.len(), "gateway: batch refused, keys held already");
            let body = UploadResult {
                created: Vec::new(),
                conflicts,
                failed: Vec::new(),
            };
            Ok((StatusCode::MULTI_STATUS, Json(body)).into_response())
        }
        Stored::Created(gateway_tag) => {
            tracing::info!(uploader = %uploader, keys = received.keys.len(), "gateway: batch uploaded");
            super::callbacks::notify(&state, &gateway_tag, &batch::date_of(now)).await;
            let mut response = StatusCode::CREATED.into_response();
            if let Ok(value) = HeaderValue::from_str(tag) {
                response.headers_mut().insert("batchtag", value);
            }
            Ok(response)
        }
    }
}

/// The batch of a body in its format.
fn decode(format: Format, body: Bytes) -> AppResult<DiagnosisKeyBatch> {
    match format {
        Format::Protobuf => DiagnosisKeyBatch::decode(body).map_err(|_| {
            AppError::bad_request("invalid_batch", "the body is not a DiagnosisKeyBatch")
        }),
        Format::Json => media::from_json(&body).map_err(|error| {
            AppError::bad_request("invalid_batch", format!("the body is not a batch: {error}"))
        }),
    }
}

/// 1 to [`MAX_KEYS_PER_BATCH`] keys, each passing EFGS's checks.
fn check_keys(received: &DiagnosisKeyBatch, now: i64) -> AppResult<()> {
    if received.keys.is_empty() {
        return Err(AppError::bad_request(
            "empty_batch",
            "the batch holds no key",
        ));
    }
    if received.keys.len() > MAX_KEYS_PER_BATCH {
        return Err(AppError::TooManyKeys(MAX_KEYS_PER_BATCH));
    }
    for (index, key) in received.keys.iter().enumerate() {
        batch::check_for_gateway(key, now).map_err(|error| {
            AppError::bad_request("invalid_key", format!("key {index}: {error}"))
        })?;
    }
    Ok(())
}

/// The signer of a batch whose signature verifies under the federation's
/// CA, names the uploader's country, and whose keys are all of that origin.
fn check_signature(
    state: &GatewayState,
    received: &DiagnosisKeyBatch,
    batch_signature: &str,
    uploader: &str,
    now: i64,
) -> AppResult<signature::Signer> {
    let signer = signature::verify(
        &signature::canonical_bytes(received),
        batch_signature,
        &state.ca,
        now,
    )
    .map_err(|error| AppError::bad_request("invalid_signature", error.to_string()))?;
    if signer.country != uploader {
        return Err(AppError::bad_request(
            "invalid_signature",
            format!(
                "the batch is signed for {}, but the uploader is {uploader}",
                signer.country
            ),
        ));
    }
    if let Some(index) = received.keys.iter().position(|key| key.origin != uploader) {
        return Err(AppError::bad_request(
            "invalid_origin",
            format!(
                "key {index} names origin {:?}, but the uploader is {uploader}",
                received.keys[index].origin
            ),
        ));
    }
    Ok(signer)
}
