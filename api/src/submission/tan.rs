//! Spending the TAN, all or nothing with the keys it admits.
//!
//! - Verification service in this process ([`LocalTanVerifier`]): the TAN is
//!   burned in the transaction that stores the keys, so a failed insert
//!   leaves it valid.
//! - Verification service in another process ([`HttpTanVerifier`]): the TAN
//!   is reserved there (internal `POST /version/v1/tan/reserve`), the keys
//!   are stored and committed here, then the TAN is confirmed (burned); a
//!   failed insert releases it. See [`crate::verification::reservation`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use shared::verification::Uuid4;
use shared::verification::wire::TanVerifyRequest;

use super::StoredKey;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::internal::ServiceToken;
use crate::server::AppState;
use crate::testresult::BoxFuture;
use crate::verification::reservation::{
    RESERVATION_SECONDS, TanReservationRequest, TanReservationResponse,
};

/// Attempts to confirm a TAN whose keys are stored before giving up.
const CONFIRM_ATTEMPTS: u32 = 3;

/// The verification service as the submission service sees it.
pub trait TanVerifier: Send + Sync {
    /// Whether the TANs live in this process's database: then
    /// [`store_with_tan`] burns the TAN in the transaction of the keys
    /// instead of reserving it.
    fn shares_database(&self) -> bool {
        false
    }

    /// Holds `tan` for this submission: the reservation id, or `None` when
    /// it is unknown, expired, used or held by another submission.
    fn reserve(&self, tan: String) -> BoxFuture<'_, AppResult<Option<String>>>;

    /// Burns a held TAN (its keys are stored); `false` when the reservation
    /// no longer holds it.
    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>>;

    /// Frees a held TAN unspent (its keys could not be stored).
    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>>;
}

/// Spends `tan` and stores `keys`, all or nothing: the number of new keys,
/// or `None` when the TAN is refused (unknown, expired, used or held).
pub async fn store_with_tan(
    state: &AppState,
    tan: &str,
    keys: &[StoredKey],
) -> AppResult<Option<u64>> {
    let verifier = state.tan_verifier()?;
    if verifier.shares_database() {
        let Ok(tan) = Uuid4::parse(tan) else {
            return Ok(None);
        };
        let db = &state.db;
        let now = crate::clock::now();
        return Ok(super::store::insert_keys_spending_tan(db, &db.hash(&tan), keys, now).await?);
    }
    let Some(reservation) = verifier.reserve(tan.to_owned()).await? else {
        return Ok(None);
    };
    let stored = match super::store::insert_keys(&state.db, keys).await {
        Ok(stored) => stored,
        Err(error) => {
            // Unspent: free at once, or by itself when the reservation ends.
            if let Err(release) = verifier.release(tan.to_owned(), reservation).await {
                tracing::warn!(error = %release, "a TAN whose keys failed stays held until its reservation ends");
            }
            return Err(error.into());
        }
    };
    confirm(verifier.as_ref(), tan, &reservation).await;
    Ok(Some(stored))
}

/// Burns the TAN of stored keys, trying a few times: the keys are stored
/// either way, so the phone is told so; a TAN left unconfirmed becomes
/// usable again when its reservation ends (a repeated upload of the same
/// keys stores nothing new).
async fn confirm(verifier: &dyn TanVerifier, tan: &str, reservation: &str) {
    for attempt in 1..=CONFIRM_ATTEMPTS {
        match verifier
            .confirm(tan.to_owned(), reservation.to_owned())
            .await
        {
            Ok(true) => return,
            Ok(false) => {
                tracing::error!(
                    "keys stored, but their TAN's reservation had ended before it was confirmed"
                );
                return;
            }
            Err(error) if attempt == CONFIRM_ATTEMPTS => {
                tracing::error!(%error, seconds = RESERVATION_SECONDS,
                    "keys stored, but their TAN could not be confirmed; it stays held until its reservation ends");
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await,
        }
    }
}

/// The in-process implementation: the same database, no network.
#[derive(Debug, Clone)]
pub struct LocalTanVerifier {
    db: Db,
}

impl LocalTanVerifier {
    /// Spends TANs stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn hashes(&self, tan: &str, reservation: &str) -> Option<(String, String)> {
        let tan = Uuid4::parse(tan).ok()?;
        let reservation = Uuid4::parse(reservation).ok()?;
        Some((self.db.hash(&tan), self.db.hash(&reservation)))
    }
}

impl TanVerifier for LocalTanVerifier {
    fn shares_database(&self) -> bool {
        true
    }

    fn reserve(&self, tan: String) -> BoxFuture<'_, AppResult<Option<String>>> {
        Box::pin(async move {
            let Ok(tan) = Uuid4::parse(&tan) else {
                return Ok(None);
            };
            let reservation = Uuid4::generate();
            let now = crate::clock::now();
            let (tan_hash, reservation_hash) = (self.db.hash(&tan), self.db.hash(&reservation));
            let until = now + RESERVATION_SECONDS;
            let store = crate::verification::store::reserve_tan;
            let reserved = store(&self.db, &tan_hash, &reservation_hash, now, until).await?;
            Ok(reserved.then(|| reservation.expose().to_owned()))
        })
    }

    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let Some((tan, reservation)) = self.hashes(&tan, &reservation) else {
                return Ok(false);
            };
            Ok(crate::verification::store::confirm_tan(&self.db, &tan, &reservation).await?)
        })
    }

    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let Some((tan, reservation)) = self.hashes(&tan, &reservation) else {
                return Ok(false);
            };
            Ok(crate::verification::store::release_tan(&self.db, &tan, &reservation).await?)
        })
    }
}

/// The HTTP implementation: the verification service's internal listener,
/// called with the service token.
#[derive(Debug, Clone)]
pub struct HttpTanVerifier {
    client: reqwest::Client,
    base: String,
    token: Arc<ServiceToken>,
}

impl HttpTanVerifier {
    /// Calls the internal listener at `base` (e.g. `http://10.0.0.5:9090`).
    pub fn new(base: &str, token: Arc<ServiceToken>) -> Self {
        Self {
            client: crate::internal::client(),
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// Posts `body` to the verification service's `path`: the answer of a
    /// 200, `None` for a 404, an error for anything else.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> AppResult<Option<T>> {
        let unavailable = |what: &str| AppError::Internal(format!("verification service: {what}"));
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await
            .map_err(|error| unavailable(&error.without_url().to_string()))?;
        match response.status() {
            StatusCode::OK => {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|error| unavailable(&error.without_url().to_string()))?;
                // An empty 200 reads as JSON null (for `()`).
                let bytes = if bytes.is_empty() {
                    &b"null"[..]
                } else {
                    &bytes[..]
                };
                serde_json::from_slice(bytes)
                    .map(Some)
                    .map_err(|error| unavailable(&error.to_string()))
            }
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(unavailable(&format!("{path} answered {status}"))),
        }
    }
}

impl TanVerifier for HttpTanVerifier {
    fn reserve(&self, tan: String) -> BoxFuture<'_, AppResult<Option<String>>> {
        Box::pin(async move {
            let answer: Option<TanReservationResponse> = self
                .call("/version/v1/tan/reserve", &TanVerifyRequest { tan })
                .await?;
            Ok(answer.map(|answer| answer.reservation))
        })
    }

    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let body = TanReservationRequest { tan, reservation };
            let answer: Option<()> = self.call("/version/v1/tan/confirm", &body).await?;
            Ok(answer.is_some())
        })
    }

    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let body = TanReservationRequest { tan, reservation };
            let answer: Option<()> = self.call("/version/v1/tan/release", &body).await?;
            Ok(answer.is_some())
        })
    }
}
