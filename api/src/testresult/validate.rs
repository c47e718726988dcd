//! The rules of a lab upload, one place for the lab API
//! (`POST /api/v1/lab/results`) and the portal's lab page
//! (`POST /api/v1/portal/lab/results`).

use shared::verification::TestId;
use shared::verification::wire::{LabTestResult, MAX_LAB_RESULTS_PER_REQUEST, TestResult};

use super::store::NewResult;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// One checked result of a lab's upload, before its id is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedResult {
    /// A hashed GUID or a date-of-birth id.
    pub id: TestId,
    /// Negative, positive or invalid.
    pub result: TestResult,
    /// When the sample was taken (unix seconds), if the lab said.
    pub sample_collected_at: Option<i64>,
}

/// Checks 1 to 1,000 results and turns them into what the store takes (ids
/// hashed under `db`'s key); the first broken result is named (by its
/// index) in a 400.
pub fn results(db: &Db, items: &[LabTestResult]) -> AppResult<Vec<NewResult>> {
    Ok(checked(items)?
        .into_iter()
        .map(|checked| NewResult {
            id_hash: db.hash(&checked.id),
            result: checked.result,
            sample_collected_at: checked.sample_collected_at,
        })
        .collect())
}

/// The rules alone (no key, no storage): 1 to 1,000 results, each with a
/// valid id, a lab result (1, 2 or 3) and no negative sample time.
pub fn checked(items: &[LabTestResult]) -> AppResult<Vec<CheckedResult>> {
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
            Ok(CheckedResult {
                id,
                result,
                sample_collected_at: item.sc,
            })
        })
        .collect()
}
