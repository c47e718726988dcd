//! Lab API keys: made once by `warn lab add` or an administrator in the
//! portal, shown once, stored as a keyed hash ([`Db::hash`]); listed and
//! disabled in the portal.

use shared::portal::LabKeySummary;
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
    /// The operating system gave no random bytes.
    #[error("no randomness for the key: {0}")]
    Random(#[from] shared::random::RandomError),
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
    let random = shared::random::try_bytes::<32>()?;
    let key = format!("{KEY_PREFIX}{}", hex::encode(random));
    let inserted = sqlx::query(
        "INSERT INTO labs (name, key_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(db.hash(&key).to_hex())
    .bind(now)
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(LabError::Exists(name.to_owned()));
    }
    Ok(key)
}

/// A lab that presented its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedLab {
    /// The lab's row id: results it stores belong to it.
    pub id: i64,
    /// Its name, reported as the result's lab id.
    pub name: String,
}

impl AuthenticatedLab {
    /// The owner its results are stored under (see [`super::store::Owner`]).
    pub fn owner(&self) -> super::store::Owner {
        super::store::Owner::ApiLab(self.id)
    }
}

/// The enabled lab that owns `key`.
pub async fn authenticate(db: &Db, key: &str) -> Result<Option<AuthenticatedLab>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name FROM labs WHERE key_hash = $1 AND disabled = 0")
        .bind(db.hash(key).to_hex())
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| {
        Ok(AuthenticatedLab {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    })
    .transpose()
}

/// Every lab, by name.
pub async fn list(db: &Db) -> Result<Vec<LabKeySummary>, sqlx::Error> {
    sqlx::query("SELECT id, name, disabled, created_at FROM labs ORDER BY name")
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(summary)
        .collect()
}

/// The lab named `name`.
pub async fn by_name(db: &Db, name: &str) -> Result<Option<LabKeySummary>, sqlx::Error> {
    sqlx::query("SELECT id, name, disabled, created_at FROM labs WHERE name = $1")
        .bind(name.trim())
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(summary)
        .transpose()
}

/// Disables lab `id`'s key for good (a new key means a new lab entry);
/// `None` for an unknown id.
pub async fn disable(db: &Db, id: i64) -> Result<Option<LabKeySummary>, sqlx::Error> {
    sqlx::query(
        "UPDATE labs SET disabled = 1 WHERE id = $1 RETURNING id, name, disabled, created_at",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(summary)
    .transpose()
}

fn summary(row: &sqlx::any::AnyRow) -> Result<LabKeySummary, sqlx::Error> {
    Ok(LabKeySummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}
