//! Queries of the verification service. Every single-use rule is one
//! conditional statement, so it holds under concurrency and across processes.

use shared::verification::SecretHash;
use sqlx::Row;

use crate::db::Db;

/// What a registration token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Made from a GUID: its SHA-256 (of the hashed GUID).
    Guid {
        /// The test result service's id.
        guid_hash: SecretHash,
        /// The hash of the date-of-birth id (`keyDob`), when the phone sent one.
        dob_hash: Option<SecretHash>,
    },
    /// Made from a teleTAN: always positive.
    TeleTan,
}

/// Registers a GUID, with its date-of-birth id when given; `false` when
/// either is registered already (as a GUID or as a date-of-birth id of any
/// registration, as cwa-verification-server's `AppSessionService` checks).
/// With `create_pending` (the test result service shares this database),
/// the test's pending results are created in the same transaction, so a
/// registration is one write.
pub async fn register_guid(
    db: &Db,
    token_hash: &SecretHash,
    guid_hash: &SecretHash,
    dob_hash: Option<&SecretHash>,
    now: i64,
    create_pending: bool,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    // The unique columns hold each id once per column; an id given once as
    // the GUID and once as a date-of-birth id is caught here.
    let other = dob_hash.unwrap_or(guid_hash);
    let taken = sqlx::query(
        "SELECT 1 FROM registrations WHERE guid_hash IN ($1, $2) OR guid_dob_hash IN ($1, $2)",
    )
    .bind(guid_hash.to_hex())
    .bind(other.to_hex())
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO registrations (token_hash, guid_hash, guid_dob_hash, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(token_hash.to_hex())
    .bind(guid_hash.to_hex())
    .bind(dob_hash.map(SecretHash::to_hex))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(false);
    }
    crate::stats::bump(&mut *tx, crate::stats::Metric::Registrations, 1, now).await?;
    if create_pending {
        crate::testresult::store::create_pending(&mut *tx, guid_hash, now).await?;
        if let Some(dob_hash) = dob_hash {
            crate::testresult::store::create_pending(&mut *tx, dob_hash, now).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Redeems a valid, unused teleTAN and registers it, in one transaction;
/// `false` when the teleTAN is unknown, expired or used.
pub async fn register_teletan(
    db: &Db,
    token_hash: &SecretHash,
    teletan_hash: &SecretHash,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let redeemed = sqlx::query(
        "UPDATE teletans SET redeemed_at = $2 WHERE hash = $1 AND redeemed_at IS NULL AND expires_at > $2",
    )
    .bind(teletan_hash.to_hex())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if redeemed.rows_affected() != 1 {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO registrations (token_hash, teletan_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(token_hash.to_hex())
    .bind(teletan_hash.to_hex())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(false);
    }
    crate::stats::bump(&mut *tx, crate::stats::Metric::Registrations, 1, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// The registration behind a token hash.
pub async fn find_registration(
    db: &Db,
    token_hash: &SecretHash,
) -> Result<Option<Registration>, sqlx::Error> {
    let row =
        sqlx::query("SELECT guid_hash, guid_dob_hash FROM registrations WHERE token_hash = $1")
            .bind(token_hash.to_hex())
            .fetch_optional(db.pool())
            .await?;
    row.map(|row| {
        let guid_hash: Option<String> = row.try_get("guid_hash")?;
        let dob_hash: Option<String> = row.try_get("guid_dob_hash")?;
        Ok(match guid_hash {
            Some(guid_hash) => Registration::Guid {
                guid_hash: stored_hash(&guid_hash)?,
                dob_hash: dob_hash.as_deref().map(stored_hash).transpose()?,
            },
            None => Registration::TeleTan,
        })
    })
    .transpose()
}

/// Takes one TAN of the registration's quota and stores the new TAN, in one
/// transaction; `false` when the quota is used up.
pub async fn issue_tan(
    db: &Db,
    token_hash: &SecretHash,
    quota: i64,
    tan_hash: &SecretHash,
    now: i64,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query(
        "UPDATE registrations SET tans_issued = tans_issued + 1 WHERE token_hash = $1 AND tans_issued < $2",
    )
    .bind(token_hash.to_hex())
    .bind(quota)
    .execute(&mut *tx)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO tans (hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(tan_hash.to_hex())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Burns a valid TAN that no submission holds reserved; `false` when it is
/// unknown, expired, used or reserved.
pub async fn burn_tan(db: &Db, tan_hash: &SecretHash, now: i64) -> Result<bool, sqlx::Error> {
    burn_tan_in(db.writer(), tan_hash, now).await
}

/// [`burn_tan`] on any executor: in the submission's own transaction when
/// the verification service shares this process's database, so the TAN is
/// spent only if the keys are stored.
pub async fn burn_tan_in<'e, E>(
    executor: E,
    tan_hash: &SecretHash,
    now: i64,
) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let deleted = sqlx::query(
        "DELETE FROM tans WHERE hash = $1 AND expires_at > $2 \
         AND (reserved_until IS NULL OR reserved_until <= $2)",
    )
    .bind(tan_hash.to_hex())
    .bind(now)
    .execute(executor)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

/// Reserves a valid TAN for a submission in another process until `until`
/// under `reservation_hash`; `false` when it is unknown, expired, used or
/// reserved by another submission that has not ended. One conditional
/// statement, so of concurrent submissions with one TAN one gets it.
pub async fn reserve_tan(
    db: &Db,
    tan_hash: &SecretHash,
    reservation_hash: &SecretHash,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let reserved = sqlx::query(
        "UPDATE tans SET reserved_by = $3, reserved_until = $4 WHERE hash = $1 AND expires_at > $2 \
         AND (reserved_until IS NULL OR reserved_until <= $2)",
    )
    .bind(tan_hash.to_hex())
    .bind(now)
    .bind(reservation_hash.to_hex())
    .bind(until)
    .execute(db.writer())
    .await?;
    Ok(reserved.rows_affected() == 1)
}

/// Burns a TAN held under `reservation_hash` (its keys are stored); `false`
/// when that reservation no longer holds it.
pub async fn confirm_tan(
    db: &Db,
    tan_hash: &SecretHash,
    reservation_hash: &SecretHash,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM tans WHERE hash = $1 AND reserved_by = $2")
        .bind(tan_hash.to_hex())
        .bind(reservation_hash.to_hex())
        .execute(db.writer())
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// Ends a reservation without spending the TAN (its keys could not be
/// stored); `false` when that reservation no longer holds it.
pub async fn release_tan(
    db: &Db,
    tan_hash: &SecretHash,
    reservation_hash: &SecretHash,
) -> Result<bool, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE tans SET reserved_by = NULL, reserved_until = NULL \
         WHERE hash = $1 AND reserved_by = $2",
    )
    .bind(tan_hash.to_hex())
    .bind(reservation_hash.to_hex())
    .execute(db.writer())
    .await?;
    Ok(released.rows_affected() == 1)
}

/// A hash column as read back: 64 hex digits, as [`Db::hash`] writes them.
fn stored_hash(text: &str) -> Result<SecretHash, sqlx::Error> {
    SecretHash::from_hex(text)
        .ok_or_else(|| sqlx::Error::Decode("a stored hash is not 64 hex digits".into()))
}
