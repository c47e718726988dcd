//! The database: SQLite under the data folder by default, PostgreSQL when a
//! `postgres://` URL is given. Both are reached through sqlx's `Any` driver,
//! so every query is written once in SQL that both understand.
//!
//! A [`Db`] also carries the server's key for stored hashes (see
//! [`crate::secrets`]): every secret a query stores or looks up goes through
//! [`Db::hash`], so no code path can hash without the key. The one secret
//! that must be read back, a portal user's TOTP secret, is sealed under a
//! key derived from it ([`crate::sealed`]).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use shared::verification::{HashKey, Secret, SecretHash};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::StorageConfig;
use crate::sealed::{SealError, SealingKey, TOTP_SECRET_LABEL};
use crate::secrets::KeyError;

mod upgrade;

/// The storage back end in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// For several processes sharing one database.
    Postgres,
}

/// A connection pool plus the back end it talks to and the key under which
/// it stores secrets (`Debug` prints nothing of the key).
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    /// The pool of the hot write paths: on SQLite one connection, so that
    /// this process's writers queue in order instead of meeting SQLite's
    /// busy handler (which sleeps up to 100 ms between tries); on
    /// PostgreSQL the same pool.
    writer: AnyPool,
    backend: Backend,
    /// The key of stored hashes; never written to the database.
    hash_key: HashKey,
    /// The key that seals the portal users' TOTP secrets, derived from
    /// `hash_key`.
    totp_key: SealingKey,
    /// Where the key came from, to name it in errors (never its content).
    hash_key_file: PathBuf,
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
    /// The hash key is missing, unreadable or not this database's.
    #[error(transparent)]
    HashKey(#[from] KeyError),
    /// A plain TOTP secret of an earlier version could not be sealed.
    #[error("sealing the plain TOTP secrets: {0}")]
    Sealing(#[from] SealError),
}

impl Db {
    /// Opens the database that `storage` names, with its hash key (the
    /// operator's key file, or the data folder's, created on first start).
    pub async fn open(storage: &StorageConfig) -> Result<Self, DbError> {
        let key_file = storage.hash_key_file.as_deref();
        let hash_key = crate::secrets::load_or_create(&storage.data_dir, key_file)?;
        let key_path = crate::secrets::key_path(&storage.data_dir, key_file);
        Self::connect_with_key(
            &storage.data_dir,
            storage.database_url.as_deref(),
            hash_key,
            key_path,
        )
        .await
    }

    /// Opens the database with the data folder's hash key: PostgreSQL at
    /// `database_url` when given, otherwise SQLite at `data_dir/warn.db`
    /// (created, in WAL mode).
    pub async fn connect(data_dir: &Path, database_url: Option<&str>) -> Result<Self, DbError> {
        Self::open(&StorageConfig {
            data_dir: data_dir.to_path_buf(),
            database_url: database_url.map(str::to_owned),
            hash_key_file: None,
        })
        .await
    }

    /// Opens the database with `hash_key` (read from `hash_key_file`).
    pub async fn connect_with_key(
        data_dir: &Path,
        database_url: Option<&str>,
        hash_key: HashKey,
        hash_key_file: PathBuf,
    ) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let totp_key = SealingKey::derive(&hash_key, TOTP_SECRET_LABEL);
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
                    hash_key,
                    totp_key,
                    hash_key_file,
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
                    hash_key,
                    totp_key,
                    hash_key_file,
                })
            }
        }
    }

    /// Brings the schema up to date (each back end has its own migration
    /// folder with the same steps in its dialect), then makes sure the
    /// stored secrets are hashed under this process's key: re-keys old rows
    /// once, or refuses a key that is not the database's
    /// ([`upgrade::adopt_hash_key`]); then seals the TOTP secrets still
    /// stored plain by an earlier version
    /// ([`upgrade::seal_plain_totp_secrets`]).
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|error| DbError::Sqlx(error.into()))?;
        upgrade::adopt_hash_key(self, &self.hash_key_file).await?;
        upgrade::seal_plain_totp_secrets(self).await?;
        Ok(())
    }

    /// The stored form of `secret`: HMAC-SHA256 under this server's key of
    /// the secret's SHA-256, 64 lower-case hex (SPEC section 2).
    /// Stores bind its [`SecretHash::to_hex`].
    pub fn hash<S: Secret + ?Sized>(&self, secret: &S) -> SecretHash {
        self.hash_key.hash(secret)
    }

    /// The stored form of portal user `user_id`'s TOTP `secret` (or offered
    /// secret): sealed under a fresh nonce, bound to the user's row.
    pub fn seal_totp_secret(&self, user_id: i64, secret: &str) -> Result<String, SealError> {
        self.totp_key
            .seal(secret, &crate::sealed::totp_associated_data(user_id))
    }

    /// User `user_id`'s TOTP secret from its stored form; an error when the
    /// value is plain, altered, another user's, or sealed under another key.
    pub fn open_totp_secret(&self, user_id: i64, stored: &str) -> Result<String, SealError> {
        self.totp_key
            .open(stored, &crate::sealed::totp_associated_data(user_id))
    }

    /// The key itself, for the re-keying migration.
    pub(crate) fn hash_key(&self) -> &HashKey {
        &self.hash_key
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

    /// A write transaction on [`Db::writer`]. On SQLite it takes the write
    /// lock at `BEGIN` (`BEGIN IMMEDIATE`): a deferred transaction that
    /// reads first and writes after another connection (or process, like
    /// `warn distribute`) committed fails at once with `SQLITE_BUSY`, which
    /// the busy timeout does not retry (a 500 in a soak, 1 in 13,716
    /// registrations); an immediate one waits for the lock instead.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writer.begin().await,
        }
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
