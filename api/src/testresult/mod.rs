//! The test result service (SPEC section 3): labs upload results under the
//! hashed GUID; the verification service reads them (creating a pending
//! entry for an id it has not seen). Stored under the keyed hash of the
//! hashed GUID ([`crate::db::Db::hash`]).

pub mod labs;
pub mod routes;
pub mod store;
pub mod validate;

use std::future::Future;
use std::pin::Pin;

use shared::verification::wire::AppResultResponse;

use crate::db::Db;
use crate::error::AppResult;

/// A boxed future, for calls between services behind trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The test result service as the verification service sees it: the
/// internal `/api/v1/app/result` call, in-process or over HTTP.
pub trait TestResults: Send + Sync {
    /// The result stored under `id_hash` (the keyed hash of a hashed GUID);
    /// an unknown id gets a pending entry.
    fn result(&self, id_hash: String) -> BoxFuture<'_, AppResult<AppResultResponse>>;

    /// Whether the results live in the verification service's own database
    /// (in-process): then a registration creates the pending entry in its
    /// own transaction instead of calling [`TestResults::result`].
    fn shares_database(&self) -> bool {
        false
    }
}

/// The in-process implementation: the same database, no network.
#[derive(Debug, Clone)]
pub struct LocalTestResults {
    db: Db,
}

impl LocalTestResults {
    /// Reads results from `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl TestResults for LocalTestResults {
    fn result(&self, id_hash: String) -> BoxFuture<'_, AppResult<AppResultResponse>> {
        Box::pin(async move {
            let stored = store::get_or_create(&self.db, &id_hash, crate::clock::now()).await?;
            Ok(stored)
        })
    }

    fn shares_database(&self) -> bool {
        true
    }
}

/// The HTTP implementation: the test result service in another process,
/// reached on its internal listener with the service token.
#[derive(Debug, Clone)]
pub struct HttpTestResults {
    client: reqwest::Client,
    url: String,
    token: std::sync::Arc<crate::internal::ServiceToken>,
}

impl HttpTestResults {
    /// Calls the internal listener at `base` (e.g. `http://10.0.0.5:9090`).
    pub fn new(base: &str, token: std::sync::Arc<crate::internal::ServiceToken>) -> Self {
        Self {
            client: crate::internal::client(),
            url: format!("{}/api/v1/app/result", base.trim_end_matches('/')),
            token,
        }
    }
}

impl TestResults for HttpTestResults {
    fn result(&self, id_hash: String) -> BoxFuture<'_, AppResult<AppResultResponse>> {
        Box::pin(async move {
            let unavailable = |what: &str| {
                crate::error::AppError::Internal(format!("test result service: {what}"))
            };
            let response = self
                .client
                .post(&self.url)
                .bearer_auth(self.token.expose())
                .json(&shared::verification::wire::AppResultRequest { id: id_hash })
                .send()
                .await
                .map_err(|error| unavailable(&error.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(unavailable(&format!("answered {}", response.status())));
            }
            response
                .json::<AppResultResponse>()
                .await
                .map_err(|error| unavailable(&error.without_url().to_string()))
        })
    }
}
