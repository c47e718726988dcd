//! The lab page's upload: the same rules and store as the lab API, with a
//! lab user's session instead of an API key. The results are recorded under
//! the portal user's name as the lab id and belong to that user (another
//! lab's upload for the same test is refused); the audit log keeps how many.

use axum::Json as JsonResponse;
use axum::extract::State;
use shared::portal::{AuditAction, LabUploadReceipt};
use shared::verification::wire::LabResultsRequest;

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::AppResult;
use crate::extract::LabJson;
use crate::portal::PortalState;
use crate::portal::audit;
use crate::portal::sessions::{Authorized, Labs};
use crate::testresult::{store, validate};

/// `POST /api/v1/portal/lab/results`: 1 to 1,000 results by hashed GUID
/// (the page hashes the GUID; the clear GUID never reaches the server).
/// Nothing is stored when one result is malformed.
#[utoipa::path(post, path = "/api/v1/portal/lab/results", tag = "portal", operation_id = "portal_lab_upload",
    request_body = LabResultsRequest,
    security(("portal_session" = [], "portal_csrf" = [])),
    responses(
        (status = 200, description = "Stored (role `lab`); a redeemed result is left unchanged and not counted in `stored`", body = LabUploadReceipt),
        (status = 400, description = "Malformed JSON, 0 or over 1,000 results, a malformed result, or a result another lab reported (code `result_of_another_lab`; the message names it); nothing stored", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::CSRF_OR_ROLE, body = ErrorBody),
        (status = 413, description = "Body over 200,000 bytes", body = ErrorBody),
        (status = 415, description = doc::NOT_JSON, body = ErrorBody),
    ))]
pub async fn upload(
    auth: Authorized<Labs>,
    State(state): State<PortalState>,
    LabJson(request): LabJson<LabResultsRequest>,
) -> AppResult<JsonResponse<LabUploadReceipt>> {
    let results = validate::results(&state.db, &request.test_results)?;
    let now = crate::clock::now();
    let owner = store::Owner::PortalUser(auth.session.name.clone());
    let stored = store::upsert(&state.db, &auth.session.name, &owner, &results, now).await?;
    let count = i64::try_from(results.len()).unwrap_or(i64::MAX);
    audit::record(
        &state.db,
        &auth.session.name,
        AuditAction::LabResultsUploaded,
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
