//! Spending the TAN, all or nothing with the keys it admits.
//!
//! - Verification service in this process
//!   ([`LocalTanVerifier`](crate::verification::reservation::LocalTanVerifier)): the TAN is
//!   burned in the transaction that stores the keys, so a failed insert
//!   leaves it valid.
//! - Verification service in another process
//!   ([`HttpTanVerifier`](crate::internal::HttpTanVerifier)): the TAN
//!   is reserved there (internal `POST /version/v1/tan/reserve`), the keys
//!   are stored and committed here, then the TAN is confirmed (burned); a
//!   failed insert releases it. See [`crate::verification::reservation`].

use std::time::Duration;

use shared::verification::Uuid4;

use super::{StoredKey, SubmissionState};
use crate::error::AppResult;
use crate::internal::{RESERVATION_SECONDS, TanVerifier};

/// Attempts to confirm a TAN whose keys are stored before giving up.
const CONFIRM_ATTEMPTS: u32 = 3;

/// Spends `tan` and stores `keys`, all or nothing: the number of new keys,
/// or `None` when the TAN is refused (unknown, expired, used or held).
pub async fn store_with_tan(
    state: &SubmissionState,
    tan: &str,
    keys: &[StoredKey],
) -> AppResult<Option<u64>> {
    let verifier = &state.tan_verifier;
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
