//! teleTAN issuance for hotline agents and health officers.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use shared::portal::TeleTanIssued;

use crate::error::AppResult;
use crate::portal::audit;
use crate::portal::sessions::{Authorized, TeleTanIssuers};
use crate::server::AppState;
use crate::verification::teletan;

/// `POST /api/v1/portal/teletans`: one teleTAN, within the global and the
/// per-user rate limit (429 with `Retry-After` when one applies). The audit
/// log records who and when, never the teleTAN.
pub async fn issue(
    auth: Authorized<TeleTanIssuers>,
    State(state): State<AppState>,
) -> AppResult<(StatusCode, JsonResponse<TeleTanIssued>)> {
    let now = crate::clock::now();
    let issuer = auth.session.user_id.to_string();
    let teletan = teletan::issue(&state.db, &state.verification, &issuer, now).await?;
    audit::record(&state.db, &auth.session.name, "teletan.issued", "", 1, now).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(TeleTanIssued {
            value: teletan.expose().to_owned(),
            expires_at: now + state.verification.teletan_validity,
        }),
    ))
}
