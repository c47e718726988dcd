//! Portal users: Argon2id password hashes (PHC strings), roles, the TOTP
//! secret (sealed, see [`Db::seal_totp_secret`]; plain ones of earlier
//! versions sealed at start by [`Db::migrate`]), password
//! changes and resets, and the throttles kept in the
//! database, shared by every process: per typed name over every client
//! (after [`NAME_FREE_FAILURES`] failed passwords), and per account for the
//! second factor and the current password of a change (after
//! [`FREE_FAILURES`]). Each waits 30 seconds, twice as long after each
//! further failure, at most [`MAX_LOCK`] seconds. Every attempt is reserved
//! in one SQL statement before it is evaluated, so concurrent attempts
//! cannot overtake the count.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use shared::portal::{Role, UserSummary};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::limits::{Busy, ClientKey, LoginLimits, Ticket, wait_after_sql};
use crate::db::{Backend, Db};
use crate::error::AppError;

/// Failed second-factor (or current-password) attempts of an account in a
/// row that cost nothing.
pub const FREE_FAILURES: i64 = 5;
/// Failed password attempts of one name over every client that cost
/// nothing (clients that completed a log-in as the name recently are not
/// counted here).
pub const NAME_FREE_FAILURES: i64 = 20;
/// The longest wait after failed attempts, in seconds.
pub const MAX_LOCK: i64 = super::limits::MAX_WAIT;
/// The PostgreSQL advisory lock that serializes changes which could leave
/// no enabled administrator.
const ADMINS_LOCK: i64 = 0x7761_726e_6164_6d6e;

/// A user row as the log-in needs it.
#[derive(Clone)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// User name.
    pub name: String,
    /// What the user may do (the routes it admits).
    pub role: Role,
    /// Argon2id PHC string.
    password_hash: String,
    /// Confirmed TOTP secret, sealed ([`Db::open_totp_secret`]).
    sealed_totp_secret: Option<String>,
    /// Secret offered for enrolment, sealed alike.
    sealed_totp_pending: Option<String>,
    /// Whether the user may log in.
    pub disabled: bool,
    /// The password was given by an administrator: change it first.
    pub password_change_required: bool,
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
    /// Whether the user has confirmed a second factor.
    pub fn totp_enrolled(&self) -> bool {
        self.sealed_totp_secret.is_some()
    }

    /// What administrators see.
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            name: self.name.clone(),
            role: self.role,
            disabled: self.disabled,
            totp_enrolled: self.totp_enrolled(),
            password_change_required: self.password_change_required,
            created_at: self.created_at,
        }
    }
}

const COLUMNS: &str = "id, name, role, password_hash, totp_secret, totp_pending, disabled, \
                       password_change_required, locked_until, created_at";

fn user_from_row(row: &AnyRow) -> Result<User, AppError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| AppError::Internal(format!("unknown stored role {role:?}")))?,
        password_hash: row.try_get("password_hash")?,
        sealed_totp_secret: row.try_get("totp_secret")?,
        sealed_totp_pending: row.try_get("totp_pending")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        password_change_required: row.try_get::<i64, _>("password_change_required")? != 0,
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
    let bytes = shared::random::try_bytes::<24>()?;
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

/// A hash no password matches, checked for unknown names so that the
/// answer takes as long as for a known one.
async fn dummy_hash() -> Result<String, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let random = hex::encode(shared::random::try_bytes::<16>()?);
    let hash = hash_password(random).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// Creates a user with a password they chose (tests, demos); the name
/// must be new.
pub async fn create(
    db: &Db,
    name: &str,
    role: Role,
    password: &str,
    now: i64,
) -> Result<User, AppError> {
    password_rule(name, password)?;
    insert(db, name, role, password, false, now).await
}

/// Creates a user with a random initial password, to be changed at the
/// first log-in; returns the user and the password (shown once).
pub async fn create_with_initial_password(
    db: &Db,
    name: &str,
    role: Role,
    now: i64,
) -> Result<(User, String), AppError> {
    let password = generate_password()?;
    let user = insert(db, name, role, &password, true, now).await?;
    Ok((user, password))
}

async fn insert(
    db: &Db,
    name: &str,
    role: Role,
    password: &str,
    change_required: bool,
    now: i64,
) -> Result<User, AppError> {
    let name = valid_name(name)?;
    let hash = hash_password(password.to_owned()).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO portal_users (name, role, password_hash, password_change_required, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
    )))
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .bind(i64::from(change_required))
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

/// Why a log-in (or a password change) did not get through.
#[derive(Debug)]
pub enum LoginError {
    /// 401, 429 or a server error.
    App(AppError),
    /// Too many password checks are running or waiting: 503 at once.
    Busy,
}

impl From<AppError> for LoginError {
    fn from(error: AppError) -> Self {
        Self::App(error)
    }
}

impl From<sqlx::Error> for LoginError {
    fn from(error: sqlx::Error) -> Self {
        Self::App(error.into())
    }
}

impl From<Busy> for LoginError {
    fn from(_: Busy) -> Self {
        Self::Busy
    }
}

impl axum::response::IntoResponse for LoginError {
    fn into_response(self) -> axum::response::Response {
        match self {
            Self::App(error) => error.into_response(),
            Self::Busy => (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::RETRY_AFTER, "1")],
                axum::Json(shared::verification::wire::ErrorBody {
                    error: "busy".to_owned(),
                    message: "too many log-ins at once; try again in a second".to_owned(),
                }),
            )
                .into_response(),
        }
    }
}

/// The key of a typed name in `portal_login_throttle`: a keyed hash under
/// the server's key, like every stored secret, so the table keeps no name
/// (and no password typed into the name field), and a copy of the database
/// alone cannot test guesses against it.
fn stored_name_key(db: &Db, name: &str) -> String {
    db.hash(&format!("warn portal log-in name\0{name}"))
        .to_hex()
}

/// Reserves a password attempt of the typed name over every client and
/// every process, in one statement: refused with the seconds to wait
/// while the name waits.
async fn reserve_name(db: &Db, key: &str, now: i64) -> Result<Result<(), u64>, AppError> {
    let wait = wait_after_sql("portal_login_throttle.failures + 1", NAME_FREE_FAILURES);
    let reserved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO portal_login_throttle (name_key, failures, locked_until, updated_at) \
         VALUES ($1, 1, 0, $2) \
         ON CONFLICT (name_key) DO UPDATE SET \
           failures = portal_login_throttle.failures + 1, \
           locked_until = CASE WHEN portal_login_throttle.failures + 1 >= {NAME_FREE_FAILURES} \
             THEN $2 + {wait} ELSE portal_login_throttle.locked_until END, \
           updated_at = $2 \
         WHERE portal_login_throttle.locked_until <= $2 \
         RETURNING failures"
    )))
    .bind(key)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    if reserved.is_some() {
        return Ok(Ok(()));
    }
    let locked_until: i64 =
        sqlx::query("SELECT locked_until FROM portal_login_throttle WHERE name_key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?
            .map(|row| row.try_get("locked_until"))
            .transpose()?
            .unwrap_or(now + 1);
    Ok(Err(u64::try_from(locked_until - now).unwrap_or(1).max(1)))
}

/// Gives a name's reservation back (the password was right).
async fn release_name(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE portal_login_throttle SET failures = failures - 1, \
         locked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE locked_until END \
         WHERE name_key = $1 AND failures > 0",
    )
    .bind(key)
    .bind(NAME_FREE_FAILURES)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Deletes the per-name counters without a failure for a day that no
/// longer wait (the hourly clean-up).
pub async fn delete_stale_throttles(db: &Db, now: i64) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "DELETE FROM portal_login_throttle WHERE updated_at < $1 AND locked_until <= $2",
    )
    .bind(now - 86_400)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// Reserves an attempt at the account's second factor (or at its current
/// password when changing it) in one statement, across processes: after
/// [`FREE_FAILURES`] reservations in a row the account waits. Refused with
/// the seconds to wait.
pub async fn reserve_account_attempt(db: &Db, user_id: i64, now: i64) -> Result<(), AppError> {
    let wait = wait_after_sql("failed_logins + 1", FREE_FAILURES);
    let reserved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE portal_users SET failed_logins = failed_logins + 1, \
           locked_until = CASE WHEN failed_logins + 1 >= {FREE_FAILURES} \
             THEN $2 + {wait} ELSE locked_until END \
         WHERE id = $1 AND locked_until <= $2 RETURNING failed_logins"
    )))
    .bind(user_id)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    if reserved.is_some() {
        return Ok(());
    }
    let user = by_id(db, user_id).await?.ok_or(AppError::Unauthorized)?;
    let retry_after = u64::try_from(user.locked_until - now).unwrap_or(1).max(1);
    Err(AppError::TooManyRequests { retry_after })
}

/// Starts the account's count again (the second factor or the current
/// password was right).
async fn clear_account_failures(db: &Db, user_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE portal_users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Checks `password` against `hash` through the gate (the caller holds
/// `ticket`), recording how long the check took.
async fn verify_gated(
    limits: &LoginLimits,
    ticket: Ticket,
    password: &str,
    hash: String,
) -> Result<bool, LoginError> {
    let password = password.to_owned();
    let started = std::time::Instant::now();
    let right = limits
        .gate()
        .run(ticket, move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await?;
    limits.record_check(started.elapsed());
    Ok(right)
}

/// The first factor: the user when `name` and `password` are right and the
/// account may log in. An unknown name, a wrong password and a disabled
/// account all get the same 401 after the same work; every name, known or
/// not, is throttled the same way (429 after [`limits::PAIR_FREE_FAILURES`]
/// failures from one client, after [`limits::CLIENT_FREE_FAILURES`] of one
/// client over any names, and after [`NAME_FREE_FAILURES`] of one name over
/// every client unless this client completed a log-in as this name
/// recently); a refused attempt answers no sooner than a checked one.
/// 503 at once when too many checks run or wait.
pub async fn check_password(
    db: &Db,
    limits: &LoginLimits,
    name: &str,
    password: &str,
    client: ClientKey,
    now: i64,
) -> Result<User, LoginError> {
    let name = name.trim();
    let ticket = limits.gate().enter()?;
    let name_key = limits.name_key(name);
    let stored_key = stored_name_key(db, name);
    let (refused, name_reserved) = match limits.reserve(name_key, client, now) {
        Err(retry_after) => (Some(retry_after), false),
        Ok(reserved) if reserved.known => (None, false),
        Ok(_) => (reserve_name(db, &stored_key, now).await?.err(), true),
    };
    if let Some(retry_after) = refused {
        drop(ticket);
        limits.pause_like_a_check().await;
        return Err(AppError::TooManyRequests { retry_after }.into());
    }
    let user = by_name(db, name).await?;
    let hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => dummy_hash().await?,
    };
    let right = verify_gated(limits, ticket, password, hash).await?;
    let Some(user) = user.filter(|_| right) else {
        return Err(AppError::Unauthorized.into());
    };
    limits.password_right(name_key, client);
    if name_reserved {
        release_name(db, &stored_key).await?;
    }
    if user.disabled {
        return Err(AppError::Unauthorized.into());
    }
    Ok(user)
}

/// What is wrong with a new password, as a 400.
fn password_rule(name: &str, password: &str) -> Result<(), AppError> {
    match shared::portal::password_problem(name, password) {
        None => Ok(()),
        Some(problem) => Err(AppError::bad_request("weak_password", problem.message())),
    }
}

/// Changes the user's own password: `current` must be right (a wrong one
/// counts like a wrong second factor and answers 400 `wrong_password`),
/// `new` must keep the rule of [`shared::portal::password_problem`].
/// Clears the change requirement.
pub async fn change_password(
    db: &Db,
    limits: &LoginLimits,
    user_id: i64,
    current: &str,
    new: &str,
    now: i64,
) -> Result<User, LoginError> {
    let user = by_id(db, user_id).await?.ok_or(AppError::Unauthorized)?;
    password_rule(&user.name, new)?;
    if current == new {
        return Err(AppError::bad_request(
            "same_password",
            "the new password must differ from the current one",
        )
        .into());
    }
    let ticket = limits.gate().enter()?;
    if let Err(error) = reserve_account_attempt(db, user.id, now).await {
        drop(ticket);
        limits.pause_like_a_check().await;
        return Err(error.into());
    }
    if !verify_gated(limits, ticket, current, user.password_hash.clone()).await? {
        return Err(
            AppError::bad_request("wrong_password", "the current password is wrong").into(),
        );
    }
    clear_account_failures(db, user.id).await?;
    let ticket = limits.gate().enter()?;
    let new = new.to_owned();
    let hash = limits
        .gate()
        .run(ticket, move || {
            Argon2::default()
                .hash_password(new.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|error| AppError::Internal(format!("password hashing: {error}")))
        })
        .await??;
    sqlx::query(
        "UPDATE portal_users SET password_hash = $2, password_change_required = 0 WHERE id = $1",
    )
    .bind(user.id)
    .bind(hash)
    .execute(db.pool())
    .await?;
    Ok(by_id(db, user.id).await?.ok_or(AppError::Unauthorized)?)
}

/// Gives user `user_id` a new random one-time password that must be
/// changed at the next log-in; clears the account's and the name's
/// failures. `None` for an unknown user.
pub async fn reset_password(db: &Db, user_id: i64) -> Result<Option<(User, String)>, AppError> {
    let password = generate_password()?;
    let hash = hash_password(password.clone()).await?;
    let changed = sqlx::query(
        "UPDATE portal_users SET password_hash = $2, password_change_required = 1, \
         failed_logins = 0, locked_until = 0 WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash)
    .execute(db.pool())
    .await?
    .rows_affected()
        == 1;
    if !changed {
        return Ok(None);
    }
    let user = by_id(db, user_id)
        .await?
        .ok_or(AppError::NotFound("no such user"))?;
    sqlx::query("DELETE FROM portal_login_throttle WHERE name_key = $1")
        .bind(stored_name_key(db, &user.name))
        .execute(db.pool())
        .await?;
    super::sessions::end_all(db, user_id).await?;
    Ok(Some((user, password)))
}

/// Offers `secret` for enrolment (replacing an earlier offer); stored
/// sealed.
pub async fn offer_totp(db: &Db, user_id: i64, secret: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE portal_users SET totp_pending = $2 WHERE id = $1 AND totp_secret IS NULL")
        .bind(user_id)
        .bind(
            db.seal_totp_secret(user_id, secret)
                .map_err(|error| AppError::Internal(format!("sealing a TOTP secret: {error}")))?,
        )
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The second factor: accepts `code` for the confirmed secret, or for the
/// offered one (which confirms the enrolment). A code is accepted once.
/// Each attempt is reserved before it is checked
/// ([`reserve_account_attempt`]); a right code starts the count again. A
/// stored secret that does not open (another key, an altered value, another
/// user's) answers as a wrong code and is logged for the operator.
pub async fn check_totp(db: &Db, user_id: i64, code: &str, now: i64) -> Result<(), AppError> {
    let user = by_id(db, user_id).await?.ok_or(AppError::Unauthorized)?;
    if user.disabled {
        return Err(AppError::Unauthorized);
    }
    reserve_account_attempt(db, user.id, now).await?;
    let (sealed, enrolling) = match (&user.sealed_totp_secret, &user.sealed_totp_pending) {
        (Some(secret), _) => (secret, false),
        (None, Some(pending)) => (pending, true),
        (None, None) => return Err(AppError::Unauthorized),
    };
    let secret = match db.open_totp_secret(user.id, sealed) {
        Ok(secret) => secret,
        Err(error) => {
            tracing::error!(
                user_id = user.id,
                enrolling,
                %error,
                "a portal user's stored TOTP secret cannot be read, so their log-in is refused; \
                 check that every process has the same hash key file, else reset the user's \
                 second factor"
            );
            return Err(AppError::Unauthorized);
        }
    };
    let Some(step) = super::totp::check(&secret, code, now)? else {
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
        .bind(sealed)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Disables or enables a user; a disabled user's sessions are ended.
/// `Ok(false)` for an unknown user; 400 `last_admin` when disabling would
/// leave no enabled administrator. The check and the change are one
/// statement, and on PostgreSQL every such change holds one advisory lock,
/// so two administrators disabling each other at once leave one.
pub async fn set_disabled(db: &Db, user_id: i64, disabled: bool) -> Result<bool, AppError> {
    let mut transaction = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock($1)) AS taken")
            .bind(ADMINS_LOCK)
            .execute(&mut *transaction)
            .await?;
    }
    let changed = sqlx::query(
        "UPDATE portal_users SET disabled = $2 WHERE id = $1 AND ($2 = 0 OR role <> 'admin' \
         OR disabled <> 0 OR EXISTS (SELECT 1 FROM portal_users AS other \
           WHERE other.role = 'admin' AND other.disabled = 0 AND other.id <> $1))",
    )
    .bind(user_id)
    .bind(i64::from(disabled))
    .execute(&mut *transaction)
    .await?
    .rows_affected()
        == 1;
    if !changed {
        let exists = sqlx::query("SELECT 1 AS found FROM portal_users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        transaction.rollback().await?;
        if exists {
            return Err(AppError::bad_request(
                "last_admin",
                "this is the last enabled administrator; enable or add another one first",
            ));
        }
        return Ok(false);
    }
    transaction.commit().await?;
    if disabled {
        super::sessions::end_all(db, user_id).await?;
    }
    Ok(true)
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
