//! TAN reservations: how a submission service in another process spends a
//! TAN only when its keys are stored (internal routes, with the service token).
//!
//! 1. `POST /version/v1/tan/reserve` `{"tan"}`: the TAN is held for
//!    [`RESERVATION_SECONDS`](crate::internal::RESERVATION_SECONDS) under a new reservation id (200
//!    `{"reservation"}`), or 404 when it is unknown, expired, used or held.
//! 2. The submission service stores the keys in one transaction of its own.
//! 3. `POST /version/v1/tan/confirm` `{"tan", "reservation"}` burns it; when
//!    the keys could not be stored, `POST /version/v1/tan/release` frees it
//!    at once. A reservation that neither confirms nor releases (the
//!    submission process died) ends by itself, so a TAN is never lost.
//!
//! The handlers answer with [`LocalTanVerifier`], the verification
//! service's own side of the protocol (the submission service calls it
//! directly when both run in one process). In one process none of this runs: the
//! TAN is burned in the transaction that stores the keys
//! ([`crate::submission::tan`]).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use shared::verification::wire::{ErrorBody, TanVerifyRequest};
use shared::verification::{SecretHash, Uuid4};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::internal::{
    BoxFuture, RESERVATION_SECONDS, TanReservationRequest, TanReservationResponse, TanVerifier,
};

fn not_found() -> AppError {
    AppError::NotFound("unknown, expired, used or reserved TAN")
}

/// Holds a valid TAN for a submission in another process.
#[utoipa::path(post, path = "/version/v1/tan/reserve", tag = "internal",
    request_body = TanVerifyRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Held for 60 s under the answered reservation id", body = TanReservationResponse),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "Unknown, expired, used or held by another submission", body = ErrorBody),
    ))]
pub(crate) async fn reserve(
    State(db): State<Db>,
    Json(request): Json<TanVerifyRequest>,
) -> AppResult<JsonResponse<TanReservationResponse>> {
    let reservation = LocalTanVerifier::new(db)
        .reserve(request.tan)
        .await?
        .ok_or_else(not_found)?;
    Ok(JsonResponse(TanReservationResponse { reservation }))
}

/// Burns a reserved TAN: its keys are stored.
#[utoipa::path(post, path = "/version/v1/tan/confirm", tag = "internal",
    request_body = TanReservationRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Burned"),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "This reservation no longer holds the TAN", body = ErrorBody),
    ))]
pub(crate) async fn confirm(
    State(db): State<Db>,
    Json(request): Json<TanReservationRequest>,
) -> AppResult<StatusCode> {
    let verifier = LocalTanVerifier::new(db);
    if verifier.confirm(request.tan, request.reservation).await? {
        tracing::info!("TAN confirmed and burned");
        Ok(StatusCode::OK)
    } else {
        Err(not_found())
    }
}

/// Frees a reserved TAN unspent: its keys could not be stored.
#[utoipa::path(post, path = "/version/v1/tan/release", tag = "internal",
    request_body = TanReservationRequest,
    security(("service_token" = [])),
    responses(
        (status = 200, description = "Free again"),
        (status = 401, description = "No or wrong service token", body = ErrorBody),
        (status = 404, description = "This reservation no longer holds the TAN", body = ErrorBody),
    ))]
pub(crate) async fn release(
    State(db): State<Db>,
    Json(request): Json<TanReservationRequest>,
) -> AppResult<StatusCode> {
    let verifier = LocalTanVerifier::new(db);
    if verifier.release(request.tan, request.reservation).await? {
        Ok(StatusCode::OK)
    } else {
        Err(not_found())
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

    fn hashes(&self, tan: &str, reservation: &str) -> Option<(SecretHash, SecretHash)> {
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
            let store = super::store::reserve_tan;
            let reserved = store(&self.db, &tan_hash, &reservation_hash, now, until).await?;
            Ok(reserved.then(|| reservation.expose().to_owned()))
        })
    }

    fn confirm(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let Some((tan, reservation)) = self.hashes(&tan, &reservation) else {
                return Ok(false);
            };
            Ok(super::store::confirm_tan(&self.db, &tan, &reservation).await?)
        })
    }

    fn release(&self, tan: String, reservation: String) -> BoxFuture<'_, AppResult<bool>> {
        Box::pin(async move {
            let Some((tan, reservation)) = self.hashes(&tan, &reservation) else {
                return Ok(false);
            };
            Ok(super::store::release_tan(&self.db, &tan, &reservation).await?)
        })
    }
}
