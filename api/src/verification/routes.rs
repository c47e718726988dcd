//! The app-facing endpoints of the verification service.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json as JsonResponse, Router};
use shared::verification::wire::{
    AppResultResponse, ErrorBody, KeyType, RegistrationTokenBody, RegistrationTokenRequest,
    RegistrationTokenResponse, TanResponse, TestResult, TestResultResponse,
};
use shared::verification::{HashedGuid, SecretHash, TeleTan, TeleTanError, TestId, Uuid4};

use std::sync::Arc;

use super::VerificationState;
use super::store::{self, Registration};
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::extract::Json;
use crate::fake::{self, DelayModel, FakeKind};

/// The routes phones call, each behind the fake-request layer.
pub fn routes(delays: &Arc<DelayModel>) -> Router<VerificationState> {
    let fakeable = |kind: FakeKind| {
        axum::middleware::from_fn_with_state((Arc::clone(delays), kind), fake::layer)
    };
    Router::new()
        .route(
            "/version/v1/registrationToken",
            post(registration_token).layer(fakeable(FakeKind::RegistrationToken)),
        )
        .route(
            "/version/v1/testresult",
            post(test_result).layer(fakeable(FakeKind::TestResult)),
        )
        .route("/version/v1/tan", post(tan).layer(fakeable(FakeKind::Tan)))
}

/// A registration token for a hashed GUID or a teleTAN (one per key, ever).
#[utoipa::path(post, path = "/version/v1/registrationToken", tag = "verification",
    params(("cwa-fake" = Option<String>, Header, description = "1 marks a fake (dummy) request: answered alike, nothing stored")),
    request_body = RegistrationTokenRequest,
    responses(
        (status = 201, description = "Registered", body = RegistrationTokenResponse),
        (status = 400, description = "Malformed key or keyDob, GUID (or its date-of-birth id) already registered, teleTAN unknown, expired or used (code `teletan_check_character` when the check character is wrong)", body = ErrorBody),
        (status = 413, description = "Body over 10,000 bytes", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
    ))]
pub(crate) async fn registration_token(
    State(state): State<VerificationState>,
    Json(request): Json<RegistrationTokenRequest>,
) -> AppResult<(StatusCode, JsonResponse<RegistrationTokenResponse>)> {
    let token = Uuid4::generate();
    let token_hash = state.db.hash(&token);
    let now = now();
    // keyDob is checked with every key type, as cwa-verification-server's
    // `@Pattern` on `RegistrationTokenRequest` does; only a GUID uses it.
    let dob = request
        .key_dob
        .as_deref()
        .map(TestId::parse)
        .transpose()
        .map_err(|error| AppError::bad_request("invalid_key_dob", error.to_string()))?;
    match request.key_type {
        KeyType::Guid => register_guid(&state, &token_hash, &request.key, dob, now).await?,
        KeyType::Teletan => register_teletan(&state, &token_hash, &request.key, now).await?,
    }
    tracing::info!(key_type = ?request.key_type, "registration created");
    Ok((
        StatusCode::CREATED,
        JsonResponse(RegistrationTokenResponse {
            registration_token: token.expose().to_owned(),
        }),
    ))
}

/// Registers the test of hashed GUID `key` (with its date-of-birth id)
/// under `token_hash`: once per GUID, ever.
async fn register_guid(
    state: &VerificationState,
    token_hash: &SecretHash,
    key: &str,
    dob: Option<TestId>,
    now: i64,
) -> AppResult<()> {
    // `key` is a SHA-256 in hex (cwa-verification-server's
    // `HashingService.isHashValid`: `^[0-9A-Fa-f]{64}$`).
    let guid = HashedGuid::parse(key)
        .map_err(|error| AppError::bad_request("invalid_guid", error.to_string()))?;
    if dob
        .as_ref()
        .is_some_and(|dob| dob.expose() == guid.expose())
    {
        return Err(AppError::bad_request(
            "invalid_key_dob",
            "keyDob must be the date-of-birth id, not the key again",
        ));
    }
    let guid_hash = state.db.hash(&guid);
    let dob_hash = dob.as_ref().map(|dob| state.db.hash(dob));
    // The test result service must know the test (pending until the lab
    // reports): in the same transaction when it shares the database, else
    // by asking it first, so that a test result service that cannot be
    // reached fails the registration before anything is stored and the
    // GUID stays unspent.
    let results = &state.test_results;
    let local = results.shares_database();
    if !local {
        results.result(guid_hash.clone()).await?;
        if let Some(dob_hash) = &dob_hash {
            results.result(dob_hash.clone()).await?;
        }
    }
    let registered = store::register_guid(
        &state.db,
        token_hash,
        &guid_hash,
        dob_hash.as_ref(),
        now,
        local,
    )
    .await?;
    if registered {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "guid_already_registered",
            "this test is registered already",
        ))
    }
}

/// Registers teleTAN `key` under `token_hash`, spending it.
async fn register_teletan(
    state: &VerificationState,
    token_hash: &SecretHash,
    key: &str,
    now: i64,
) -> AppResult<()> {
    let teletan = TeleTan::parse(key).map_err(|error| match error {
        TeleTanError::CheckCharacter => {
            AppError::bad_request("teletan_check_character", error.to_string())
        }
        TeleTanError::Length(_) | TeleTanError::Character { .. } => {
            AppError::bad_request("invalid_teletan", error.to_string())
        }
    })?;
    let teletan_hash = state.db.hash(&teletan);
    if store::register_teletan(&state.db, token_hash, &teletan_hash, now).await? {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "teletan_unknown",
            "this teleTAN is unknown, expired or used",
        ))
    }
}

/// Finds the registration a request's token stands for; returns the
/// token's stored hash with it.
async fn registration(
    state: &VerificationState,
    body: &RegistrationTokenBody,
) -> AppResult<(SecretHash, Registration)> {
    let unknown =
        || AppError::bad_request("unknown_registration_token", "unknown registration token");
    let token = Uuid4::parse(&body.registration_token).map_err(|_| unknown())?;
    let token_hash = state.db.hash(&token);
    let registration = store::find_registration(&state.db, &token_hash)
        .await?
        .ok_or_else(unknown)?;
    Ok((token_hash, registration))
}

/// The result under the hashed GUID; with a date-of-birth id, only when the
/// result under that id is the same (cwa-verification-server's
/// `ExternalTestStateController`: the test result service answers every id,
/// pending when unknown, so a wrong date of birth, or a lab that reported
/// under one id only, gives two different results and a 403).
async fn matching_result(
    state: &VerificationState,
    guid_hash: SecretHash,
    dob_hash: Option<SecretHash>,
) -> AppResult<AppResultResponse> {
    let results = &state.test_results;
    let stored = results.result(guid_hash).await?;
    if let Some(dob_hash) = dob_hash {
        let by_dob = results.result(dob_hash).await?;
        if by_dob.test_result != stored.test_result {
            return Err(AppError::Forbidden(
                "the result under the date of birth does not match the result of the test",
            ));
        }
    }
    Ok(stored)
}

/// The test result of a registration (teleTAN registrations are positive).
#[utoipa::path(post, path = "/version/v1/testresult", tag = "verification",
    params(("cwa-fake" = Option<String>, Header, description = "1 marks a fake (dummy) request: answered alike, nothing stored")),
    request_body = RegistrationTokenBody,
    responses(
        (status = 200, description = "The result and the sample collection time", body = TestResultResponse),
        (status = 400, description = "Unknown registration token", body = ErrorBody),
        (status = 403, description = "Registered with a date-of-birth id whose result differs from the test's", body = ErrorBody),
    ))]
pub(crate) async fn test_result(
    State(state): State<VerificationState>,
    Json(body): Json<RegistrationTokenBody>,
) -> AppResult<JsonResponse<TestResultResponse>> {
    let response = match registration(&state, &body).await?.1 {
        Registration::TeleTan => TestResultResponse {
            test_result: TestResult::Positive,
            sc: None,
        },
        Registration::Guid {
            guid_hash,
            dob_hash,
        } => {
            let stored = matching_result(&state, guid_hash, dob_hash).await?;
            TestResultResponse {
                test_result: stored.test_result,
                sc: stored.sc,
            }
        }
    };
    Ok(JsonResponse(response))
}

/// A TAN for a positive registration (a limited number per registration).
#[utoipa::path(post, path = "/version/v1/tan", tag = "verification",
    params(("cwa-fake" = Option<String>, Header, description = "1 marks a fake (dummy) request: answered alike, nothing stored")),
    request_body = RegistrationTokenBody,
    responses(
        (status = 201, description = "A TAN, valid 14 days, single use", body = TanResponse),
        (status = 400, description = "Unknown token, result not positive, or TAN quota used", body = ErrorBody),
        (status = 403, description = "Registered with a date-of-birth id whose result differs from the test's", body = ErrorBody),
    ))]
pub(crate) async fn tan(
    State(state): State<VerificationState>,
    Json(body): Json<RegistrationTokenBody>,
) -> AppResult<(StatusCode, JsonResponse<TanResponse>)> {
    let (token_hash, registration) = registration(&state, &body).await?;
    if let Registration::Guid {
        guid_hash,
        dob_hash,
    } = registration
    {
        let stored = matching_result(&state, guid_hash, dob_hash).await?;
        if stored.test_result != TestResult::Positive {
            return Err(AppError::bad_request(
                "test_result_not_positive",
                "a TAN is issued only for a positive test result",
            ));
        }
    }
    let tan = Uuid4::generate();
    let now = now();
    let config = &state.rules;
    let issued = store::issue_tan(
        &state.db,
        &token_hash,
        config.tan_quota,
        &state.db.hash(&tan),
        now,
        now + config.tan_validity,
    )
    .await?;
    if !issued {
        return Err(AppError::bad_request(
            "tan_quota_exhausted",
            "this registration has obtained all the TANs it may",
        ));
    }
    tracing::info!("TAN issued");
    Ok((
        StatusCode::CREATED,
        JsonResponse(TanResponse {
            tan: tan.expose().to_owned(),
        }),
    ))
}
