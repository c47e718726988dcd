//! The test result service (SPEC section 3): labs upload results under the
//! hashed GUID; the verification service reads them (creating a pending
//! entry for an id it has not seen). Stored under the keyed hash of the
//! hashed GUID ([`crate::db::Db::hash`]).

pub mod labs;
pub mod routes;
pub mod store;
pub mod validate;

use shared::verification::SecretHash;
use shared::verification::wire::AppResultResponse;

use crate::db::Db;
use crate::error::AppResult;
use crate::internal::{BoxFuture, TestResults};

/// The in-process implementation: the same database, no network.
#[derive(Debug, Clone)]
pub struct LocalTestResults {
    db: Db,
}

impl LocalTestResults {
    /// Reads results from `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl TestResults for LocalTestResults {
    fn result(&self, id_hash: SecretHash) -> BoxFuture<'_, AppResult<AppResultResponse>> {
        Box::pin(async move {
            let stored = store::get_or_create(&self.db, &id_hash, crate::clock::now()).await?;
            Ok(stored)
        })
    }

    fn shares_database(&self) -> bool {
        true
    }
}
