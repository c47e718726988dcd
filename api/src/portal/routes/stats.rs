//! Statistics for administrators: daily counts.

use axum::Json as JsonResponse;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use shared::portal::{DayStats, MAX_STATS_DAYS, StatsQuery};

use shared::verification::wire::ErrorBody;

use super::doc;
use crate::error::{AppError, AppResult};
use crate::portal::PortalState;
use crate::portal::sessions::{Admins, Authorized};

/// Days shown when the query names none.
const DEFAULT_DAYS: i64 = 30;

/// `GET /api/v1/portal/stats?days=30`: teleTANs issued, registrations,
/// positive results, keys submitted and bundles published per UTC day,
/// oldest first, up to today.
#[utoipa::path(get, path = "/api/v1/portal/stats", tag = "portal", operation_id = "portal_stats",
    params(StatsQuery),
    security(("portal_session" = [])),
    responses(
        (status = 200, description = "One entry per UTC day, oldest first, days without events as zeros (role `admin`)", body = Vec<DayStats>),
        (status = 400, description = "`days` is not a number from 1 to 366", body = ErrorBody),
        (status = 401, description = doc::NO_SESSION, body = ErrorBody),
        (status = 403, description = doc::WRONG_ROLE, body = ErrorBody),
    ))]
pub async fn daily(
    _auth: Authorized<Admins>,
    State(state): State<PortalState>,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> AppResult<JsonResponse<Vec<DayStats>>> {
    let Query(query) = query.map_err(|error| {
        AppError::bad_request("invalid_query", format!("invalid query: {error}"))
    })?;
    let days = query.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_STATS_DAYS).contains(&days) {
        return Err(AppError::bad_request(
            "invalid_days",
            format!("days must be 1 to {MAX_STATS_DAYS}"),
        ));
    }
    Ok(JsonResponse(
        crate::stats::daily(&state.db, days, crate::clock::now()).await?,
    ))
}
