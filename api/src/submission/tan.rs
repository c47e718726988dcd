//! Confirming a TAN: the verification service burns it, in this process or
//! in another one (its internal `POST /version/v1/tan/verify`).

use std::sync::Arc;

use reqwest::StatusCode;
use shared::verification::wire::TanVerifyRequest;
use shared::verification::{Secret, Uuid4};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::internal::ServiceToken;
use crate::testresult::BoxFuture;

/// The verification service as the submission service sees it.
pub trait TanVerifier: Send + Sync {
    /// Confirms and burns `tan`: `true` when it was valid and unused, and
    /// can never be used again; `false` when it is unknown, expired or used.
    fn burn(&self, tan: String) -> BoxFuture<'_, AppResult<bool>>;
}

/// The in-process implementation: the same database, no network.
#[derive(Debug, Clone)]
pub struct LocalTanVerifier {
    db: Db,
}

impl LocalTanVerifier {
    /// Burns TANs stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl TanVerifier for LocalTanVerifier {
    fn burn(&self, tan: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let Ok(tan) = Uuid4::parse(&tan) else {
                return Ok(false);
            };
            let hash = tan.secret_hash().to_hex();
            Ok(crate::verification::store::burn_tan(&self.db, &hash, crate::clock::now()).await?)
        })
    }
}

/// The HTTP implementation: the verification service's internal listener,
/// called with the service token.
#[derive(Debug, Clone)]
pub struct HttpTanVerifier {
    client: reqwest::Client,
    url: String,
    token: Arc<ServiceToken>,
}

impl HttpTanVerifier {
    /// Calls the internal listener at `base` (e.g. `http://10.0.0.5:9090`).
    pub fn new(base: &str, token: Arc<ServiceToken>) -> Self {
        Self {
            client: crate::internal::client(),
            url: format!("{}/version/v1/tan/verify", base.trim_end_matches('/')),
            token,
        }
    }
}

impl TanVerifier for HttpTanVerifier {
    fn burn(&self, tan: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let unavailable =
                |what: &str| AppError::Internal(format!("verification service: {what}"));
            let response = self
                .client
                .post(&self.url)
                .bearer_auth(self.token.expose())
                .json(&TanVerifyRequest { tan })
                .send()
                .await
                .map_err(|error| unavailable(&error.without_url().to_string()))?;
            match response.status() {
                StatusCode::OK => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                status => Err(unavailable(&format!("answered {status}"))),
            }
        })
    }
}
