//! Portal users: Argon2id password hashes (PHC strings), roles, the TOTP
//! secret, and log-in throttling per account (after [`FREE_FAILURES`]
//! failures in a row the account waits, twice as long after each further
//! failure, at most [`MAX_LOCK`] seconds).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use shared::portal::{Role, UserSummary};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::Db;
use crate::error::AppError;

/// Failed attempts in a row that cost nothing.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait after failed attempts, in seconds.
pub const MAX_LOCK: i64 = 15 * 60;

/// A user row as the log-in needs it.
#[derive(Clone)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// User name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    password_hash: String,
    /// Confirmed TOTP secret (base32).
    pub totp_secret: Option<String>,
    /// Secret offered for enrolment.
    pub totp_pending: Option<String>,
    /// Whether the user may log in.
    pub disabled: bool,
    /// Unix second until which log-in attempts are refused.
    pub locked_until: i64,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl User {
    /// What administrators see.
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            name: self.name.clone(),
            role: self.role,
            disabled: self.disabled,
            totp_enrolled: self.totp_secret.is_some(),
            created_at: self.created_at,
        }
    }
}

const COLUMNS: &str = "id, name, role, password_hash, totp_secret, totp_pending, disabled, \
                       locked_until, created_at";

fn user_from_row(row: &AnyRow) -> Result<User, AppError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| AppError::Internal(format!("unknown stored role {role:?}")))?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_pending: row.try_get("totp_pending")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Checks a new user name: 1 to 64 characters of letters, digits, `.`, `-`, `_`, `@`.
pub fn valid_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'));
    if ok {
        Ok(name)
    } else {
        Err(AppError::bad_request(
            "invalid_name",
            "a user name is 1 to 64 characters: letters, digits, '.', '-', '_', '@'",
        ))
    }
}

/// A random initial password: 24 characters of Crockford's base32
/// alphabet (no i, l, o, u), 120 bits from the operating system's CSPRNG.
pub fn generate_password() -> Result<String, AppError> {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let bytes = super::random_bytes::<24>()?;
    Ok(bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(byte & 31)]))
        .collect())
}

/// Hashes `password` with Argon2id (default parameters: 19 MiB, 2 passes).
async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| AppError::Internal(format!("password hashing: {error}")))
    })
    .await
    .map_err(|error| AppError::Internal(format!("password hashing task: {error}")))?
}

/// Whether `password` matches the PHC string `hash` (constant time inside argon2).
async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .map_err(|error| AppError::Internal(format!("password check task: {error}")))
}

/// A hash no password matches, checked for unknown names so that the
/// answer takes as long as for a known one.
async fn dummy_hash() -> Result<String, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let random = hex::encode(super::random_bytes::<16>()?);
    let hash = hash_password(random).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// Creates a user; the name must be new.
pub async fn create(
    db: &Db,
    name: &str,
    role: Role,
    password: &str,
    now: i64,
) -> Result<User, AppError> {
    let name = valid_name(name)?;
    if password.chars().count() < 12 {
        return Err(AppError::bad_request(
            "weak_password",
            "a password has at least 12 characters",
        ));
    }
    let hash = hash_password(password.to_owned()).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO portal_users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
    )))
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => user_from_row(&row),
        None => Err(AppError::bad_request(
            "user_exists",
            format!("a user named {name:?} exists already"),
        )),
    }
}

/// The user named `name`.
pub async fn by_name(db: &Db, name: &str) -> Result<Option<User>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM portal_users WHERE name = $1"
    )))
    .bind(name.trim())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The user with id `id`.
pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM portal_users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Every user, by name.
pub async fn list(db: &Db) -> Result<Vec<User>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM portal_users ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(user_from_row).collect()
}

/// How many users there are.
pub async fn count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM portal_users")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

/// Refuses an attempt while the account waits after failures (429).
pub fn refuse_if_locked(user: &User, now: i64) -> Result<(), AppError> {
    if user.locked_until > now {
        let retry_after = u64::try_from(user.locked_until - now).unwrap_or(1);
        return Err(AppError::TooManyRequests { retry_after });
    }
    Ok(())
}

/// Counts a failed attempt, and makes the account wait once there were
/// more than [`FREE_FAILURES`] in a row.
pub async fn register_failure(db: &Db, user_id: i64, now: i64) -> Result<(), AppError> {
    let failures: i64 = sqlx::query(
        "UPDATE portal_users SET failed_logins = failed_logins + 1 WHERE id = $1 \
         RETURNING failed_logins",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?
    .try_get("failed_logins")?;
    if failures >= FREE_FAILURES {
        let doublings = u32::try_from(failures - FREE_FAILURES)
            .unwrap_or(u32::MAX)
            .min(10);
        let wait = (30_i64 << doublings).min(MAX_LOCK);
        sqlx::query("UPDATE portal_users SET locked_until = $2 WHERE id = $1")
            .bind(user_id)
            .bind(now + wait)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// The first factor: the user when `name` and `password` are right and the
/// account may log in; 401 otherwise (the same for an unknown name, a wrong
/// password and a disabled account), 429 while the account waits.
pub async fn check_password(
    db: &Db,
    name: &str,
    password: &str,
    now: i64,
) -> Result<User, AppError> {
    let Some(user) = by_name(db, name).await? else {
        verify_password(password.to_owned(), dummy_hash().await?).await?;
        return Err(AppError::Unauthorized);
    };
    refuse_if_locked(&user, now)?;
    let right = verify_password(password.to_owned(), user.password_hash.clone()).await?;
    if !right {
        register_failure(db, user.id, now).await?;
        return Err(AppError::Unauthorized);
    }
    if user.disabled {
        return Err(AppError::Unauthorized);
    }
    Ok(user)
}

/// Offers `secret` for enrolment (replacing an earlier offer).
pub async fn offer_totp(db: &Db, user_id: i64, secret: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE portal_users SET totp_pending = $2 WHERE id = $1 AND totp_secret IS NULL")
        .bind(user_id)
        .bind(secret)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The second factor: accepts `code` for the confirmed secret, or for the
/// offered one (which confirms the enrolment). A code is accepted once; a
/// wrong code counts as a failed attempt. Resets the failures on success.
pub async fn check_totp(db: &Db, user_id: i64, code: &str, now: i64) -> Result<(), AppError> {
    let user = by_id(db, user_id).await?.ok_or(AppError::Unauthorized)?;
    if user.disabled {
        return Err(AppError::Unauthorized);
    }
    refuse_if_locked(&user, now)?;
    let (secret, enrolling) = match (&user.totp_secret, &user.totp_pending) {
        (Some(secret), _) => (secret, false),
        (None, Some(pending)) => (pending, true),
        (None, None) => return Err(AppError::Unauthorized),
    };
    let Some(step) = super::totp::check(secret, code, now)? else {
        register_failure(db, user.id, now).await?;
        return Err(AppError::Unauthorized);
    };
    // One statement takes the step, so a code is used once even when two
    // requests race.
    let fresh = sqlx::query(
        "UPDATE portal_users SET totp_last_step = $2, failed_logins = 0, locked_until = 0 \
         WHERE id = $1 AND totp_last_step < $2",
    )
    .bind(user.id)
    .bind(step)
    .execute(db.pool())
    .await?
    .rows_affected()
        == 1;
    if !fresh {
        return Err(AppError::Unauthorized);
    }
    if enrolling {
        sqlx::query(
            "UPDATE portal_users SET totp_secret = totp_pending, totp_pending = NULL \
             WHERE id = $1 AND totp_secret IS NULL AND totp_pending = $2",
        )
        .bind(user.id)
        .bind(secret)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Disables or enables a user; a disabled user's sessions are ended.
pub async fn set_disabled(db: &Db, user_id: i64, disabled: bool) -> Result<bool, AppError> {
    let changed = sqlx::query("UPDATE portal_users SET disabled = $2 WHERE id = $1")
        .bind(user_id)
        .bind(i64::from(disabled))
        .execute(db.pool())
        .await?
        .rows_affected()
        == 1;
    if changed && disabled {
        super::sessions::end_all(db, user_id).await?;
    }
    Ok(changed)
}

/// Removes the second factor: the user enrols again at the next log-in.
/// Ends the user's sessions.
pub async fn reset_totp(db: &Db, user_id: i64) -> Result<bool, AppError> {
    let changed = sqlx::query(
        "UPDATE portal_users SET totp_secret = NULL, totp_pending = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(db.pool())
    .await?
    .rows_affected()
        == 1;
    if changed {
        super::sessions::end_all(db, user_id).await?;
    }
    Ok(changed)
}
