//! The one error type of the HTTP services, and the one JSON shape every
//! error answer has: `{"error": "<stable code>", "message": "<sentence>"}`.
//!
//! Client errors say what was wrong; server errors are logged (without
//! request data) and answered with a generic sentence.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::verification::wire::ErrorBody;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or breaks a rule (400).
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Credentials missing or wrong (401).
    #[error("authentication required")]
    Unauthorized,
    /// Not allowed (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// Unknown, expired or used (404).
    #[error("{0}")]
    NotFound(&'static str),
    /// Already done, and not to be done twice (409).
    #[error("{0}")]
    Conflict(&'static str),
    /// No longer kept (410).
    #[error("{0}")]
    Gone(&'static str),
    /// The request body did not arrive within the body read timeout (408).
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// Body too large (413).
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A batch with more keys than allowed (413).
    #[error("the batch holds more than {0} keys")]
    TooManyKeys(usize),
    /// Wrong content type (415).
    #[error("expected content type {0}")]
    UnsupportedMediaType(&'static str),
    /// Rate limit (429), with seconds until the next attempt may succeed.
    #[error("rate limit reached; try again in {retry_after} seconds")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after: u64,
    },
    /// Storage failed (500).
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Anything else that is the server's fault (500).
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A 400 with a stable code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) | Self::TooManyKeys(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Gone(_) => "gone",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::TooManyKeys(_) => "too_many_keys",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }
}

impl From<shared::random::RandomError> for AppError {
    fn from(error: shared::random::RandomError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            // Logged without request data; the client learns nothing internal.
            tracing::error!(error = %self, "request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            error: self.code().to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if let Self::Unauthorized = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Result of a handler.
pub type AppResult<T> = Result<T, AppError>;
