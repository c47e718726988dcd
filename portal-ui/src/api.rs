//! The server's HTTP API as the portal sees it: one function per endpoint,
//! every failure turned into [`ApiError`], which pages show. Every POST
//! carries the session's CSRF token.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::portal::{
    AuditEntry, CSRF_HEADER, CreateUserRequest, CreatedUser, LoginRequest, LoginResponse,
    SessionInfo, TeleTanIssued, TotpRequest, UserSummary,
};

use crate::i18n::Lang;

/// What `GET /api/v1/info` answers.
///
/// Mirrors the server's `Info` in `api/src/server/health.rs` (fields the
/// portal does not show, like `name`, are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerInfo {
    /// The server's version.
    pub version: String,
    /// The database backend (`"sqlite"` or `"postgres"`).
    pub database: String,
}

/// The server's error body (`{"error", "message"}`).
#[derive(Debug, Deserialize)]
struct ErrorBody {
    /// The stable code (`shared::messages` has its sentences).
    #[serde(default)]
    error: Option<String>,
    message: String,
}

/// Why a request to the server failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request did not reach the server or no answer came back.
    #[error("keine Verbindung zum Server ({0})")]
    Network(String),
    /// The server answered with an error status.
    #[error("der Server antwortete mit HTTP-Status {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's sentence, when it sent one.
        message: Option<String>,
        /// The server's stable error code, when it sent one.
        code: Option<String>,
        /// Seconds until a rate limit lifts (`Retry-After`).
        retry_after: Option<u64>,
    },
    /// The answer was not what this version of the portal expects.
    #[error("unerwartete Antwort des Servers ({0})")]
    Decode(String),
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Seconds until a rate limit lifts.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's stable error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The reason in the page's language: for a known error code, what
    /// went wrong and what to do (`shared::messages`); else what happened.
    pub fn describe(&self, lang: Lang) -> String {
        self.describe_with(lang, self.retry_after())
    }

    /// [`ApiError::describe`] with `seconds_left` for a rate limit's wait
    /// (a countdown shows the seconds still to wait, not the first answer's).
    pub fn describe_with(&self, lang: Lang, seconds_left: Option<u64>) -> String {
        if let Some(text) = self
            .code()
            .and_then(|code| shared::messages::sentence(code, lang == Lang::De, seconds_left))
        {
            return text;
        }
        match (self, lang) {
            (_, Lang::De) => self.to_string(),
            (Self::Network(detail), Lang::En) => format!("no connection to the server ({detail})"),
            (
                Self::Status {
                    status, message, ..
                },
                Lang::En,
            ) => format!(
                "the server answered with HTTP status {status}{}",
                message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ),
            (Self::Decode(detail), Lang::En) => {
                format!("unexpected answer from the server ({detail})")
            }
        }
    }
}

/// Asks the server what it is: name, version and database.
pub async fn server_info() -> Result<ServerInfo, ApiError> {
    get_json("/api/v1/info").await
}

/// The current session, if there is one.
pub async fn session() -> Result<SessionInfo, ApiError> {
    get_json("/api/v1/portal/session").await
}

/// First factor.
pub async fn login(request: &LoginRequest) -> Result<LoginResponse, ApiError> {
    post_json("/api/v1/portal/login", None, Some(request)).await
}

/// Second factor (and enrolment).
pub async fn second_factor(csrf: &str, code: &str) -> Result<SessionInfo, ApiError> {
    let body = TotpRequest {
        code: code.to_owned(),
    };
    post_json("/api/v1/portal/login/totp", Some(csrf), Some(&body)).await
}

/// Ends this session.
pub async fn logout(csrf: &str) -> Result<(), ApiError> {
    let response = send(post("/api/v1/portal/logout", Some(csrf)).build()).await?;
    check(response).await.map(|_| ())
}

/// Issues one teleTAN.
pub async fn issue_teletan(csrf: &str) -> Result<TeleTanIssued, ApiError> {
    post_json::<TeleTanIssued, ()>("/api/v1/portal/teletans", Some(csrf), None).await
}

/// Every portal user (administrators).
pub async fn users() -> Result<Vec<UserSummary>, ApiError> {
    get_json("/api/v1/portal/users").await
}

/// Creates a user; the answer holds the initial password.
pub async fn create_user(csrf: &str, request: &CreateUserRequest) -> Result<CreatedUser, ApiError> {
    post_json("/api/v1/portal/users", Some(csrf), Some(request)).await
}

/// `disable`, `enable` or `reset-totp` for user `id`.
pub async fn change_user(csrf: &str, id: i64, change: &str) -> Result<UserSummary, ApiError> {
    post_json::<UserSummary, ()>(
        &format!("/api/v1/portal/users/{id}/{change}"),
        Some(csrf),
        None,
    )
    .await
}

/// The audit log, newest first, filtered by actor and action (empty: all).
pub async fn audit(actor: &str, action: &str) -> Result<Vec<AuditEntry>, ApiError> {
    let mut path = String::from("/api/v1/portal/audit?");
    for (name, value) in [("actor", actor), ("action", action)] {
        if !value.trim().is_empty() {
            path.push_str(&format!("{name}={}&", encode_component(value.trim())));
        }
    }
    get_json(path.trim_end_matches(['?', '&'])).await
}

/// The public keys the server signs bundles with.
pub async fn published_keys() -> Result<Vec<verifier::keys::PublishedKey>, ApiError> {
    get_json(&shared::paths::url(&shared::paths::keys())).await
}

/// A JSON document of the distribution (an index).
///
/// Revalidated with the server on every call (`cache: no-cache`): an index
/// the browser cached for its `max-age` would hide a new run from "check
/// now" for minutes; bundles never change once published, so they keep
/// the cache.
pub async fn distribution_index<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let request = Request::get(path)
        .cache(web_sys::RequestCache::NoCache)
        .build();
    let response = check(send(request).await?).await?;
    response
        .json()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// The home country: the first entry of the country index (a 404 before
/// the first distribution run).
pub async fn home_country() -> Result<String, ApiError> {
    let index = shared::paths::url(&shared::paths::country_index());
    let regions: Vec<String> = distribution_index(&index).await?;
    regions
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Decode("the country index is empty".to_owned()))
}

/// The bytes at `path` (a bundle).
pub async fn bytes(path: &str) -> Result<Vec<u8>, ApiError> {
    let response = check(send(Request::get(path).build()).await?).await?;
    response
        .binary()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// The header that marks a phone's fake request (SPEC section 4).
const FAKE_HEADER: &str = "cwa-fake";

/// A phone's JSON request to the verification service (`fake`: the
/// `cwa-fake: 1` header; the server answers alike and stores nothing).
pub async fn app_post<T: DeserializeOwned, B: Serialize>(
    path: &str,
    body: &B,
    fake: bool,
) -> Result<T, ApiError> {
    let request = Request::post(path)
        .header("Accept", "application/json")
        .header(FAKE_HEADER, if fake { "1" } else { "0" })
        .json(body);
    let response = check(send(request).await?).await?;
    response
        .json()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// A phone's key submission: the protobuf `payload`, authorised by `tan`.
pub async fn submit_keys(tan: &str, payload: Vec<u8>, fake: bool) -> Result<(), ApiError> {
    let body = js_sys::Uint8Array::from(payload.as_slice());
    let request = Request::post("/version/v1/diagnosis-keys")
        .header("Content-Type", "application/x-protobuf")
        .header("cwa-authorization", tan)
        .header(FAKE_HEADER, if fake { "1" } else { "0" })
        .body(body);
    check(send(request).await?).await.map(|_| ())
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

fn post(path: &str, csrf: Option<&str>) -> RequestBuilder {
    let request = Request::post(path).header("Accept", "application/json");
    match csrf {
        Some(csrf) => request.header(CSRF_HEADER, csrf),
        None => request,
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    request
        .map_err(|error| ApiError::Network(error.to_string()))?
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))
}

async fn check(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.parse().ok());
    let body = response.json::<ErrorBody>().await.ok();
    let (message, code) = match body {
        Some(body) => (Some(body.message), body.error),
        None => (None, None),
    };
    Err(ApiError::Status {
        status,
        message,
        code,
        retry_after,
    })
}

async fn post_json<T: DeserializeOwned, B: Serialize>(
    path: &str,
    csrf: Option<&str>,
    body: Option<&B>,
) -> Result<T, ApiError> {
    let request = post(path, csrf);
    let request = match body {
        Some(body) => request.json(body),
        None => request.build(),
    };
    let response = check(send(request).await?).await?;
    response
        .json()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let request = Request::get(path)
        .header("Accept", "application/json")
        .build();
    let response = check(send(request).await?).await?;
    response
        .json()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

// The lab upload, teleTAN batches, lab API keys, statistics, log-out everywhere.

/// Uploads results by hashed GUID (at most 1,000 at once) as a lab user.
pub async fn upload_lab_results(
    csrf: &str,
    request: &shared::verification::wire::LabResultsRequest,
) -> Result<shared::portal::LabUploadReceipt, ApiError> {
    post_json("/api/v1/portal/lab/results", Some(csrf), Some(request)).await
}

/// Issues a batch of teleTANs (health officers).
pub async fn issue_teletan_batch(
    csrf: &str,
    count: u32,
) -> Result<shared::portal::TeleTanBatch, ApiError> {
    let body = shared::portal::TeleTanBatchRequest { count };
    post_json("/api/v1/portal/teletans/batch", Some(csrf), Some(&body)).await
}

/// Every lab and its key's state (administrators).
pub async fn labs() -> Result<Vec<shared::portal::LabKeySummary>, ApiError> {
    get_json("/api/v1/portal/labs").await
}

/// Creates a lab; the answer holds its API key, shown once.
pub async fn create_lab(csrf: &str, name: &str) -> Result<shared::portal::CreatedLabKey, ApiError> {
    let body = shared::portal::CreateLabKeyRequest {
        name: name.to_owned(),
    };
    post_json("/api/v1/portal/labs", Some(csrf), Some(&body)).await
}

/// Disables lab `id`'s API key.
pub async fn disable_lab(csrf: &str, id: i64) -> Result<shared::portal::LabKeySummary, ApiError> {
    post_json::<_, ()>(
        &format!("/api/v1/portal/labs/{id}/disable"),
        Some(csrf),
        None,
    )
    .await
}

/// Daily counts of the last `days` days, oldest first.
pub async fn stats(days: i64) -> Result<Vec<shared::portal::DayStats>, ApiError> {
    get_json(&format!("/api/v1/portal/stats?days={days}")).await
}

/// Ends every session of the logged-in user.
pub async fn logout_everywhere(csrf: &str) -> Result<(), ApiError> {
    let response = send(post("/api/v1/portal/logout-everywhere", Some(csrf)).build()).await?;
    check(response).await.map(|_| ())
}

// Passwords (issue 15).

/// Changes the logged-in user's own password; the answer is the session
/// with the change requirement cleared.
pub async fn change_password(
    csrf: &str,
    request: &shared::portal::ChangePasswordRequest,
) -> Result<SessionInfo, ApiError> {
    post_json("/api/v1/portal/password", Some(csrf), Some(request)).await
}

/// Gives user `id` a new one-time password (administrators).
pub async fn reset_password(
    csrf: &str,
    id: i64,
) -> Result<shared::portal::PasswordReset, ApiError> {
    post_json::<shared::portal::PasswordReset, ()>(
        &format!("/api/v1/portal/users/{id}/reset-password"),
        Some(csrf),
        None,
    )
    .await
}
