//! The database: SQLite under the data folder by default, PostgreSQL when a
//! `postgres://` URL is given. Both are reached through sqlx's `Any` driver,
//! so every query is written once in SQL that both understand.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// The storage back end in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// For several processes sharing one database.
    Postgres,
}

/// A connection pool plus the back end it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// The pool of the hot write paths: on SQLite one connection, so that
    /// this process's writers queue in order instead of meeting SQLite's
    /// busy handler (which sleeps up to 100 ms between tries); on
    /// PostgreSQL the same pool.
    writer: AnyPool,
    backend: Backend,
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names a database this build does not support.
    #[error("unsupported database URL (expected postgres://... or none for SQLite)")]
    UnsupportedUrl,
    /// The data folder could not be created.
    #[error("cannot create data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// sqlx failed to connect or to migrate.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

impl Db {
    /// Opens the database: PostgreSQL at `database_url` when given, otherwise
    /// SQLite at `data_dir/warn.db` (created, in WAL mode).
    pub async fn connect(data_dir: &Path, database_url: Option<&str>) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Ok(Self {
                    writer: pool.clone(),
                    pool,
                    backend: Backend::Postgres,
                })
            }
            Some(_) => Err(DbError::UnsupportedUrl),
            None => {
                std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
                    path: data_dir.display().to_string(),
                    source,
                })?;
                let path = data_dir.join("warn.db");
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let options = AnyConnectOptions::from_str(&url)?;
                let open = |connections: u32| {
                    AnyPoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_connect(|conn, _meta| {
                            Box::pin(async move {
                                // busy_timeout, foreign_keys and synchronous are per
                                // connection; WAL is a property of the file, set once
                                // below. In WAL mode, synchronous = NORMAL cannot
                                // corrupt the database; a power cut (not a crash of
                                // the process or the system) may undo the last
                                // commits, which SQLite's own guidance accepts for WAL.
                                conn.execute(
                                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                                     PRAGMA synchronous = NORMAL;",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                        .connect_with(options.clone())
                };
                let pool = open(8).await?;
                pool.execute("PRAGMA journal_mode = WAL;").await?;
                let writer = open(1).await?;
                Ok(Self {
                    pool,
                    writer,
                    backend: Backend::Sqlite,
                })
            }
        }
    }

    /// Brings the schema up to date (each back end has its own migration
    /// folder with the same steps in its dialect).
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|error| DbError::Sqlx(error.into()))
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for the app-facing write paths (registrations, results,
    /// TANs, submissions): see the field's note.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Which back end this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers whether the database takes queries.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
