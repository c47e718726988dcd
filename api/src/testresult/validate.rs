//! The rules of a lab upload, one place for the lab API
//! (`POST /api/v1/lab/results`) and the portal's lab page
//! (`POST /api/v1/portal/lab/results`).

use shared::verification::TestId;
use shared::verification::wire::{LabTestResult, MAX_LAB_RESULTS_PER_REQUEST, TestResult};

use super::store::NewResult;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// Checks 1 to 1,000 results and turns them into what the store takes (ids
/// hashed under `db`'s key); the
/// first broken result is named (by its index) in a 400.
pub fn results(db: &Db, items: &[LabTestResult]) -> AppResult<Vec<NewResult>> {
    let count = items.len();
    if count == 0 || count > MAX_LAB_RESULTS_PER_REQUEST {
        return Err(AppError::bad_request(
            "batch_size",
            format!("send 1 to {MAX_LAB_RESULTS_PER_REQUEST} results, not {count}"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            // A hashed GUID or a date-of-birth id (cwa-testresult-server's
            // `TestResult.id`: `^[XxA-Fa-f0-9]([A-Fa-f0-9]{63})$`).
            let id = TestId::parse(&item.id).map_err(|error| {
                AppError::bad_request("invalid_id", format!("result {index}: {error}"))
            })?;
            let result = TestResult::try_from(item.result)
                .ok()
                .filter(|result| result.is_lab_result())
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_result",
                        format!(
                            "result {index}: result must be 1 (negative), 2 (positive) or 3 (invalid)"
                        ),
                    )
                })?;
            if item.sc.is_some_and(|sc| sc < 0) {
                return Err(AppError::bad_request(
                    "invalid_sample_time",
                    format!("result {index}: sc must be unix seconds"),
                ));
            }
            Ok(NewResult {
                id_hash: db.hash(&id),
                result,
                sample_collected_at: item.sc,
            })
        })
        .collect()
}
