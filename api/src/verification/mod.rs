//! The verification service (SPEC section 2): registration tokens from a
//! hashed GUID or a teleTAN, test result polling, TANs, teleTANs.

pub mod internal_routes;
pub mod reservation;
pub mod routes;
pub mod store;
pub mod teletan;

use std::sync::Arc;

use axum::extract::FromRef;

use crate::db::Db;
use crate::internal::TestResults;

/// What the verification service's handlers share: a route that needs the
/// test result service cannot be built without one.
#[derive(Clone, FromRef)]
pub struct VerificationState {
    /// The database.
    pub db: Db,
    /// The service's rules.
    pub rules: Arc<VerificationConfig>,
    /// The test result service, in this process or over HTTP.
    pub test_results: Arc<dyn TestResults>,
}

/// Rules of the verification service.
#[derive(Debug, Clone)]
pub struct VerificationConfig {
    /// TANs one registration may obtain (the app uploads twice).
    pub tan_quota: i64,
    /// Seconds a TAN stays valid.
    pub tan_validity: i64,
    /// Seconds a teleTAN stays valid.
    pub teletan_validity: i64,
    /// teleTANs that may be issued per hour, by everyone together.
    pub teletan_global_per_hour: i64,
    /// Seconds a portal user waits between two teleTANs.
    pub teletan_user_interval: i64,
}

impl Default for VerificationConfig {
    fn default() -> Self {
        Self {
            tan_quota: 2,
            tan_validity: 14 * 24 * 3600,
            teletan_validity: 3600,
            teletan_global_per_hour: 1000,
            teletan_user_interval: 30,
        }
    }
}
