//! The lab page's upload: the same rules and store as the lab API, with a
//! lab user's session instead of an API key. The results are recorded under
//! the portal user's name as the lab id; the audit log keeps how many.

use axum::Json as JsonResponse;
use axum::extract::State;
use shared::portal::LabUploadReceipt;
use shared::verification::wire::LabResultsRequest;

use crate::error::AppResult;
use crate::extract::LabJson;
use crate::portal::audit;
use crate::portal::sessions::{Authorized, Labs};
use crate::server::AppState;
use crate::testresult::{store, validate};

/// `POST /api/v1/portal/lab/results`: 1 to 1,000 results by hashed GUID
/// (the page hashes the GUID; the clear GUID never reaches the server).
/// Nothing is stored when one result is malformed.
pub async fn upload(
    auth: Authorized<Labs>,
    State(state): State<AppState>,
    LabJson(request): LabJson<LabResultsRequest>,
) -> AppResult<JsonResponse<LabUploadReceipt>> {
    let results = validate::results(&request.test_results)?;
    let now = crate::clock::now();
    let stored = store::upsert(&state.db, &auth.session.name, &results, now).await?;
    let count = i64::try_from(results.len()).unwrap_or(i64::MAX);
    audit::record(
        &state.db,
        &auth.session.name,
        "lab.results-uploaded",
        "",
        count,
        now,
    )
    .await?;
    tracing::info!(results = count, "lab results stored through the portal");
    Ok(JsonResponse(LabUploadReceipt {
        stored,
        received_at: now,
    }))
}
