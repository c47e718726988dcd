//! Federation (issue 8): the exchange of consenting users' keys between
//! national servers through a gateway with the contract of the European
//! Federation Gateway Service (EFGS).
//!
//! - [`batch`]: keys in the EFGS protobuf, and their checks.
//! - [`signature`]: the detached CMS batch signature and its canonical bytes.
//! - [`certs`]: the test CA and country certificates (`warn federation
//!   cert`), the rustls configurations.
//! - [`tls`]: serving a router over mutual TLS; [`client`]: the client side.
//! - [`gateway`]: the gateway role (`warn serve --services gateway`);
//!   [`openapi`]: its own OpenAPI document.
//! - [`national`]: the federation service of a national server.

pub mod batch;
pub mod certs;
pub mod client;
pub mod gateway;
pub mod national;
pub mod openapi;
pub mod signature;
pub mod tls;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::rejection::QueryRejection;
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

/// Days before today a callback may name (the gateway keeps 14 days).
const CALLBACK_DAYS: i64 = 15;

/// The callback's state: the federation, the dates waiting for a
/// download, and whether a download worker runs.
#[derive(Clone)]
struct Callbacks {
    federation: Federation,
    pending: Arc<Mutex<BTreeSet<i64>>>,
    working: Arc<AtomicBool>,
}

/// `GET /federation/v1/callback?batchTag=..&date=..` on a national server:
/// the gateway says a batch arrived; the download runs in the background.
/// It only makes this server fetch from the configured gateway, so it needs
/// no credentials; a date that is not `YYYY-MM-DD` within the gateway's
/// retention is refused. Callbacks coalesce: each date waits at most once,
/// one worker downloads them, so a flood of calls costs one download per
/// date, not a task each.
pub fn callback_routes(federation: Federation) -> Router {
    Router::new()
        .route("/federation/v1/callback", get(callback))
        .with_state(Callbacks {
            federation,
            pending: Arc::default(),
            working: Arc::default(),
        })
}

/// A gateway announces a new batch; the download runs in the background.
#[utoipa::path(get, path = "/federation/v1/callback", tag = "federation",
    params(
        ("batchTag" = String, Query, description = "The new batch's tag (the download starts from the date's first batch)"),
        ("date" = String, Query, description = "The batch's date, `YYYY-MM-DD`, within the last 14 days"),
    ),
    responses(
        (status = 202, description = "Noted: the date is downloaded in the background (once, however often it is announced)"),
        (status = 400, description = "Missing parameter, or a date that is not `YYYY-MM-DD` within the last 14 days", body = shared::verification::wire::ErrorBody),
    ))]
async fn callback(
    State(callbacks): State<Callbacks>,
    query: Result<Query<Callback>, QueryRejection>,
) -> Result<StatusCode, crate::error::AppError> {
    let Query(query) = query.map_err(|rejection| {
        crate::error::AppError::bad_request("invalid_query", rejection.body_text())
    })?;
    let today = crate::clock::now().div_euclid(86_400);
    let Some(day) =
        batch::day_of(&query.date).filter(|day| (today - CALLBACK_DAYS..=today + 1).contains(day))
    else {
        return Err(crate::error::AppError::bad_request(
            "invalid_date",
            "the date must be YYYY-MM-DD within the last 14 days",
        ));
    };
    if let Ok(mut pending) = callbacks.pending.lock() {
        pending.insert(day);
    }
    if !callbacks.working.swap(true, Ordering::AcqRel) {
        tokio::spawn(work_off(callbacks));
    }
    Ok(StatusCode::ACCEPTED)
}

/// Downloads the pending dates until none is left.
async fn work_off(callbacks: Callbacks) {
    loop {
        let next = callbacks
            .pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.pop_first());
        let Some(day) = next else {
            callbacks.working.store(false, Ordering::Release);
            // A callback between the look and the store found a worker
            // running: take its date unless another worker started.
            let waiting = callbacks
                .pending
                .lock()
                .is_ok_and(|pending| !pending.is_empty());
            if waiting && !callbacks.working.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        };
        let date = date_of(day);
        match callbacks
            .federation
            .download(&date, crate::clock::now())
            .await
        {
            Ok(report) => tracing::info!("federation callback: {report}"),
            Err(error) => tracing::warn!(%error, "federation callback: download failed"),
        }
    }
}

/// `YYYY-MM-DD` of a unix day.
fn date_of(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day * 86_400)
        .map(|time| time.date().to_string())
        .unwrap_or_default()
}
