//! Federation (issue 8): the exchange of consenting users' keys between
//! national servers through a gateway with the contract of the European
//! Federation Gateway Service (EFGS).
//!
//! - [`batch`]: keys in the EFGS protobuf, and their checks.
//! - [`signature`]: the detached CMS batch signature and its canonical bytes.
//! - [`certs`]: the test CA and country certificates (`warn federation
//!   cert`), the rustls configurations.
//! - [`tls`]: serving a router over mutual TLS; [`client`]: the client side.
//! - [`gateway`]: the gateway role (`warn serve --services gateway`).
//! - [`national`]: the federation service of a national server.

pub mod batch;
pub mod certs;
pub mod client;
pub mod gateway;
pub mod national;
pub mod signature;
pub mod tls;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;

pub use national::{Federation, FederationSettings};

/// `?batchTag=...&date=...` of a gateway callback.
#[derive(Debug, serde::Deserialize)]
struct Callback {
    #[serde(rename = "batchTag")]
    _batch_tag: String,
    date: String,
}

/// `GET /federation/v1/callback?batchTag=..&date=..` on a national server:
/// the gateway says a batch arrived; the download runs in the background.
/// It only makes this server fetch from the configured gateway, so it needs
/// no credentials; a date that is not `YYYY-MM-DD` is refused.
pub fn callback_routes(federation: Federation) -> Router {
    Router::new()
        .route("/federation/v1/callback", get(callback))
        .with_state(federation)
}

async fn callback(
    State(federation): State<Federation>,
    Query(query): Query<Callback>,
) -> Result<StatusCode, crate::error::AppError> {
    if batch::day_of(&query.date).is_none() {
        return Err(crate::error::AppError::bad_request(
            "invalid_date",
            "the date must be YYYY-MM-DD",
        ));
    }
    tokio::spawn(async move {
        match federation.download(&query.date, crate::clock::now()).await {
            Ok(report) => tracing::info!("federation callback: {report}"),
            Err(error) => tracing::warn!(%error, "federation callback: download failed"),
        }
    });
    Ok(StatusCode::ACCEPTED)
}
