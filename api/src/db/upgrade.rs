//! The steps that bring stored data up to this version at every start,
//! after the schema's migrations ([`Db::migrate`]): each finds nothing to do
//! once done, and processes starting at once do each change once.

use std::path::Path;

use sqlx::Row;

use super::{Db, DbError};
use crate::sealed::SealingKey;
use crate::secrets::KeyError;

/// Every column that holds a secret's stored hash: what [`adopt`] re-keys.
const HASHED_COLUMNS: [(&str, &str); 8] = [
    ("registrations", "token_hash"),
    ("registrations", "guid_hash"),
    ("registrations", "teletan_hash"),
    ("teletans", "hash"),
    ("tans", "hash"),
    ("test_results", "id_hash"),
    ("labs", "key_hash"),
    ("portal_sessions", "id_hash"),
];

/// Makes the database this key's: on its first use under a key, stores the
/// key's check value and re-keys every row written the old way (unkeyed
/// SHA-256), in one transaction; afterwards, checks that the key is the one
/// the database was adopted under. `key_file` only names the key in the error.
pub(super) async fn adopt_hash_key(db: &Db, key_file: &Path) -> Result<(), KeyError> {
    let key = db.hash_key();
    let check = key.check_value();
    let mut tx = db.begin_write().await?;
    // Concurrent first starts: the unique id makes one insert win; the
    // others wait for its commit and then find its value.
    let first = sqlx::query(
        "INSERT INTO secret_hash_key (id, key_check, adopted_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&check)
    .bind(crate::clock::now())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        drop(tx);
        let stored: String = sqlx::query("SELECT key_check FROM secret_hash_key WHERE id = 1")
            .fetch_one(db.pool())
            .await?
            .try_get("key_check")?;
        return if stored == check {
            Ok(())
        } else {
            Err(KeyError::Mismatch(key_file.to_path_buf()))
        };
    }
    let mut rekeyed = 0u64;
    for (table, column) in HASHED_COLUMNS {
        // Table and column names are the constants above.
        let select = format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL");
        let update = format!("UPDATE {table} SET {column} = $1 WHERE {column} = $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            let old: String = row.try_get(0)?;
            let mut legacy = [0u8; 32];
            if old.len() != 64 || hex::decode_to_slice(&old, &mut legacy).is_err() {
                continue; // not a hash this service wrote
            }
            sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                .bind(key.rekey_legacy(&legacy).to_hex())
                .bind(&old)
                .execute(&mut *tx)
                .await?;
            rekeyed += 1;
        }
    }
    tx.commit().await?;
    tracing::info!(
        rows = rekeyed,
        "stored secrets are now hashed under this server's key"
    );
    Ok(())
}

/// Seals the TOTP secrets (confirmed and offered) that an earlier version
/// stored plain, in one transaction; returns how many. Runs at every start
/// ([`Db::migrate`]) and finds nothing once done. Each row changes only if
/// it still holds the plain value read, so processes starting at once seal
/// a secret once.
pub(super) async fn seal_plain_totp_secrets(db: &Db) -> Result<u64, DbError> {
    let plain = |column: &str| {
        format!(
            "{column} IS NOT NULL AND {column} NOT LIKE '{}%'",
            crate::sealed::PREFIX
        )
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, totp_secret, totp_pending FROM portal_users WHERE ({}) OR ({})",
        plain("totp_secret"),
        plain("totp_pending"),
    )))
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut sealed = 0u64;
    let mut transaction = db.begin_write().await?;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        for column in ["totp_secret", "totp_pending"] {
            let value: Option<String> = row.try_get(column)?;
            let Some(secret) = value.filter(|value| !SealingKey::is_sealed(value)) else {
                continue;
            };
            let seal = db.seal_totp_secret(id, &secret)?;
            // The column is one of the two names above.
            sealed += sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE portal_users SET {column} = $1 WHERE id = $2 AND {column} = $3"
            )))
            .bind(seal)
            .bind(id)
            .bind(&secret)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        }
    }
    transaction.commit().await?;
    tracing::info!(
        secrets = sealed,
        "sealed the TOTP secrets stored plain by an earlier version"
    );
    Ok(sealed)
}
