//! The gateway role (`warn serve --services gateway`): the contract of the
//! European Federation Gateway Service (EFGS) over mTLS, with its own
//! tables (`gateway_*`). Sources: the controllers of
//! eu-federation-gateway-service/efgs-federation-gateway (`UploadController`,
//! `DownloadController`, `AuditController`, `CallbackAdminController`) and
//! what cwa-server's federation client sends and reads.
//!
//! - `POST /diagnosiskeys/upload` ([`upload`]): a signed batch of at most
//!   5,000 keys, all of the uploader's own origin, as
//!   `application/protobuf; version=1.0` or `application/json; version=1.0`.
//!   201 with the `batchTag` header; 207 `{"201": [], "409": [..], "500": []}`
//!   when some keys' whole records were held already (nothing is stored, as
//!   EFGS rolls the batch back); 400, 406, 409 (a batch tag used before, by
//!   any country, answered before the signature is checked), 413, 415.
//! - `GET /diagnosiskeys/download/{date}` ([`download`]): one batch of that
//!   date (the first, or the one the `batchTag` header names) with
//!   `batchTag` and `nextBatchTag` (`null` after the last); the keys exactly
//!   as uploaded, without those the caller uploaded. 404, 410, 400 (a tag of
//!   another date); `OPTIONS` answers `Allow` and `Accept`.
//! - `GET /diagnosiskeys/audit/download/{date}/{batchTag}` ([`download::audit`]):
//!   who uploaded the batch, with which certificates and signature.
//! - `PUT /diagnosiskeys/callback/{id}?url=...`, `GET /diagnosiskeys/callback`,
//!   `DELETE /diagnosiskeys/callback/{id}` ([`callbacks`]): at most
//!   [`callbacks::MAX_CALLBACKS_PER_COUNTRY`] https URLs on public addresses
//!   per country, called with `batchTag` and `date` when a batch arrives.
//!
//! The caller's country comes from its TLS client certificate and is
//! checked before any body is read ([`require_country`]). Batches older
//! than the retention are deleted with the next upload.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

pub mod callbacks;
mod common;
pub mod download;
pub mod media;
mod store;
pub mod upload;

pub use common::{Country, GatewayState, MAX_UPLOAD_BYTES, RETENTION_DAYS, require_country};

pub use callbacks::{CallbackEntry, delete_callback, list_callbacks, register_callback};
pub use download::{AuditEntry, audit, download, download_options};
pub use upload::{UploadResult, upload};

/// The gateway's routes. Every route but `OPTIONS` needs a client
/// certificate that names a country, checked before the body is read.
pub fn routes(state: GatewayState) -> Router {
    let authenticated = Router::new()
        .route(
            "/diagnosiskeys/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/diagnosiskeys/download/{date}", get(download))
        .route(
            "/diagnosiskeys/audit/download/{date}/{batchTag}",
            get(audit),
        )
        .route("/diagnosiskeys/callback", get(list_callbacks))
        .route(
            "/diagnosiskeys/callback/{id}",
            put(register_callback).delete(delete_callback),
        )
        .route_layer(axum::middleware::from_fn(require_country));
    Router::new()
        .route(
            "/diagnosiskeys/download/{date}",
            axum::routing::options(download_options),
        )
        .merge(authenticated)
        .with_state(state)
}
