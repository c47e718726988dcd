//! The audit log: who did what when, and how many; never a teleTAN, a
//! password, a GUID or any other secret.

use shared::portal::{AuditAction, AuditEntry, AuditQuery};
use sqlx::Row;

use crate::db::Db;

/// Most entries one page of the audit log holds.
pub const PAGE: i64 = 200;

/// Writes one entry.
pub async fn record(
    db: &Db,
    actor: &str,
    action: AuditAction,
    detail: &str,
    count: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO portal_audit (at, actor, action, detail, count) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now)
    .bind(actor)
    .bind(action.as_str())
    .bind(detail)
    .bind(count)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The newest entries that pass the filters, newest first, at most [`PAGE`].
pub async fn list(db: &Db, query: &AuditQuery) -> Result<Vec<AuditEntry>, sqlx::Error> {
    // Every filter is always bound; an absent one matches everything, so the
    // statement is one fixed text. The user name matches in any case (user
    // names are ASCII, which LOWER folds alike on SQLite and PostgreSQL).
    let rows = sqlx::query(
        "SELECT id, at, actor, action, detail, count FROM portal_audit \
         WHERE ($1 = '' OR LOWER(actor) = LOWER($1)) AND ($2 = '' OR action = $2) \
         AND at >= $3 AND at < $4 AND id < $5 \
         ORDER BY id DESC LIMIT $6",
    )
    .bind(query.actor.clone().unwrap_or_default())
    .bind(query.action.clone().unwrap_or_default())
    .bind(query.since.unwrap_or(i64::MIN))
    .bind(query.until.unwrap_or(i64::MAX))
    .bind(query.before_id.unwrap_or(i64::MAX))
    .bind(PAGE)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
                count: row.try_get("count")?,
            })
        })
        .collect()
}
