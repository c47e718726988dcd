//! The server's HTTP API as the portal sees it: one function per endpoint,
//! every failure turned into [`ApiError`].

use gloo_net::http::Request;
use serde::Deserialize;

/// What `GET /api/v1/info` answers.
///
/// Mirrors the server's `Info` in `api/src/server/health.rs` (fields the
/// portal does not show, like `name`, are ignored); it moves to `shared`
/// with the other wire types so that the two cannot drift.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerInfo {
    /// The server's version.
    pub version: String,
    /// The database backend (`"sqlite"` or `"postgres"`).
    pub database: String,
}

/// Why a request to the server failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The request did not reach the server or no answer came back.
    #[error("keine Verbindung zum Server ({0})")]
    Network(String),
    /// The server answered with an error status.
    #[error("der Server antwortete mit HTTP-Status {0}")]
    Status(u16),
    /// The answer was not what this version of the portal expects.
    #[error("unerwartete Antwort des Servers ({0})")]
    Decode(String),
}

/// Asks the server what it is: name, version and database.
pub async fn server_info() -> Result<ServerInfo, ApiError> {
    get_json("/api/v1/info").await
}

async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    if !response.ok() {
        return Err(ApiError::Status(response.status()));
    }
    response
        .json()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}
