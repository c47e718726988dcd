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
mod store;
pub mod tls;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use tokio::time::Instant;

pub use national::Federation;

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
/// download, whether a download worker runs, and when the last download
/// started.
#[derive(Clone)]
struct Callbacks {
    federation: Federation,
    pending: Arc<Mutex<BTreeSet<i64>>>,
    working: Arc<AtomicBool>,
    /// The least time between the starts of two downloads.
    interval: Duration,
    /// When the last download started (read and written by the one worker).
    last_start: Arc<Mutex<Option<Instant>>>,
}

/// `GET /federation/v1/callback?batchTag=..&date=..` on a national server:
/// the gateway says a batch arrived; the download runs in the background.
///
/// EFGS calls it with a plain `GET` and no credential this server could
/// check (its `CallbackTaskExecutorService`), and it only makes this server
/// fetch from the configured gateway, so anyone may call it; what a
/// stranger can make it cost is bounded instead. A date that is not
/// `YYYY-MM-DD` within the gateway's retention is refused. Callbacks
/// coalesce: each date waits at most once, one worker downloads them, and
/// the worker starts a download at most once per `interval`
/// (`--federation-callback-interval`), so a flood of calls, however spread
/// out, costs one date's download per interval. Every call in between is
/// answered 202 and folded into the next download (EFGS retries a call
/// that is not 2xx and finally drops the subscription). The route counts
/// against the per-address rate limit too ([`crate::server`] adds it).
pub fn callback_routes(federation: Federation, interval: Duration) -> Router {
    Router::new()
        .route("/federation/v1/callback", get(callback))
        .with_state(Callbacks {
            federation,
            pending: Arc::default(),
            working: Arc::default(),
            interval,
            last_start: Arc::default(),
        })
}

/// A gateway announces a new batch; the download runs in the background.
#[utoipa::path(get, path = "/federation/v1/callback", tag = "federation",
    params(
        ("batchTag" = String, Query, description = "The new batch's tag (the download starts from the date's first batch)"),
        ("date" = String, Query, description = "The batch's date, `YYYY-MM-DD`, within the last 14 days"),
    ),
    responses(
        (status = 202, description = "Noted: the date is downloaded in the background, once however often it is announced; downloads start at most once per `--federation-callback-interval` (60 s), calls in between join the next"),
        (status = 400, description = "Missing parameter, or a date that is not `YYYY-MM-DD` within the last 14 days", body = shared::verification::wire::ErrorBody),
        (status = 429, description = "This client address called more than 120 times in a minute; Retry-After says when", body = shared::verification::wire::ErrorBody),
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

/// Downloads the pending dates until none is left, starting each download
/// no sooner than `interval` after the one before (dates announced while
/// it waits join the set it works off).
async fn work_off(callbacks: Callbacks) {
    let waiting = |callbacks: &Callbacks| {
        callbacks
            .pending
            .lock()
            .is_ok_and(|pending| !pending.is_empty())
    };
    loop {
        if !waiting(&callbacks) {
            callbacks.working.store(false, Ordering::Release);
            // A callback between the look and the store found a worker
            // running: take its date unless another worker started.
            if waiting(&callbacks) && !callbacks.working.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        }
        let last_start = callbacks
            .last_start
            .lock()
            .ok()
            .and_then(|last_start| *last_start);
        if let Some(last_start) = last_start {
            tokio::time::sleep_until(last_start + callbacks.interval).await;
        }
        let next = callbacks
            .pending
            .lock()
            .ok()
            .and_then(|mut pending| pending.pop_first());
        let Some(day) = next else {
            continue;
        };
        if let Ok(mut last_start) = callbacks.last_start.lock() {
            *last_start = Some(Instant::now());
        }
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
