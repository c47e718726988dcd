//! Lab API keys: made once by `warn lab add`, shown once, stored as SHA-256.

use shared::verification::SecretHash;
use sqlx::Row;

use crate::db::Db;

/// Prefix of every lab API key, so a leaked key is recognisable in a scan.
pub const KEY_PREFIX: &str = "warnlab_";

/// Why a lab could not be added.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The name is empty or too long.
    #[error("a lab name is 1 to 100 characters")]
    Name,
    /// A lab of that name exists.
    #[error("a lab named {0:?} exists already")]
    Exists(String),
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Adds a lab and returns its new API key (the only time it is seen).
pub async fn add(db: &Db, name: &str, now: i64) -> Result<String, LabError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(LabError::Name);
    }
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the operating system's random source is available");
    let key = format!("{KEY_PREFIX}{}", hex::encode(random));
    let inserted = sqlx::query(
        "INSERT INTO labs (name, key_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(SecretHash::of(&key).to_hex())
    .bind(now)
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(LabError::Exists(name.to_owned()));
    }
    Ok(key)
}

/// The name of the enabled lab that owns `key`.
pub async fn authenticate(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT name FROM labs WHERE key_hash = $1 AND disabled = 0")
        .bind(SecretHash::of(key).to_hex())
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| row.try_get("name")).transpose()
}
