//! Request extractors that answer bad input in the one error shape.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Largest JSON body accepted by the verification and test-result services
/// (SPEC section 2: 10,000 bytes). Lab uploads of 1,000 results need more;
/// they use [`LabJson`].
pub const MAX_JSON_BODY: usize = 10_000;
/// Largest lab upload: 1,000 results of about 120 bytes each.
pub const MAX_LAB_BODY: usize = 200_000;
/// Largest key submission (SPEC section 4: 100 KB).
pub const MAX_PROTOBUF_BODY: usize = 100_000;
/// The content type of protobuf bodies.
pub const PROTOBUF: &str = "application/x-protobuf";

/// A JSON body of at most [`MAX_JSON_BODY`] bytes with content type
/// `application/json`; anything else is a 4xx in the one error shape.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// Like [`Json`], with the lab upload's larger limit.
#[derive(Debug)]
pub struct LabJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read_json(request, MAX_JSON_BODY).await.map(Json)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for LabJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read_json(request, MAX_LAB_BODY).await.map(LabJson)
    }
}

/// A protobuf body (`application/x-protobuf`) of at most
/// [`MAX_PROTOBUF_BODY`] bytes, decoded as `T`.
#[derive(Debug)]
pub struct Protobuf<T>(pub T);

impl<S: Send + Sync, T: prost::Message + Default> FromRequest<S> for Protobuf<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !has_content_type(&request, PROTOBUF) {
            return Err(AppError::UnsupportedMediaType(PROTOBUF));
        }
        let bytes = read_body(request, MAX_PROTOBUF_BODY).await?;
        T::decode(bytes).map(Protobuf).map_err(|error| {
            AppError::bad_request("malformed_protobuf", format!("malformed protobuf: {error}"))
        })
    }
}

fn has_content_type(request: &Request, expected: &str) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(expected))
}

async fn read_json<T: DeserializeOwned>(request: Request, limit: usize) -> Result<T, AppError> {
    if !has_content_type(&request, "application/json") {
        return Err(AppError::UnsupportedMediaType("application/json"));
    }
    let bytes = read_body(request, limit).await?;
    serde_json::from_slice(&bytes).map_err(|error| {
        // serde's message names the field and position, never the value.
        AppError::bad_request("malformed_json", format!("malformed JSON: {error}"))
    })
}

/// Reads the whole body, refusing (413) one that is declared or turns out
/// larger than `limit`, and (408) one that does not arrive within the
/// listener's body read timeout.
pub async fn read_body(request: Request, limit: usize) -> Result<axum::body::Bytes, AppError> {
    let declared_too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .is_some_and(|length| length > limit);
    if declared_too_large {
        return Err(AppError::PayloadTooLarge(limit));
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|error| {
            if crate::listener::is_body_timeout(&error) {
                AppError::RequestTimeout
            } else {
                AppError::PayloadTooLarge(limit)
            }
        })
}

/// A body of bytes in the OpenAPI document: a protobuf message or a zip
/// file, as each route's `content_type` and description say. Only a schema:
/// the handlers read and write the bytes themselves.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);
