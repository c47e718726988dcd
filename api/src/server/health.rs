//! Liveness, readiness and what the server is.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::db::Backend;
use crate::db::Db;

pub(crate) fn routes() -> Router<Db> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/info", get(info))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "`ready`", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = String, content_type = "text/plain"),
    ))]
pub(crate) async fn readyz(State(db): State<Db>) -> (StatusCode, &'static str) {
    match db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// What the portal's landing page shows about the server.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Info {
    name: &'static str,
    version: &'static str,
    database: &'static str,
}

/// What the server is: name, version, database.
#[utoipa::path(get, path = "/api/v1/info", tag = "operations",
    responses((status = 200, description = "Name, version and database back end", body = Info)))]
pub(crate) async fn info(State(db): State<Db>) -> Json<Info> {
    Json(Info {
        name: "warn",
        version: env!("CARGO_PKG_VERSION"),
        database: match db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
    })
}
