//! The distribution: `warn demo seed`, `warn distribute`, `warn key`, and
//! the published tree, checked as a phone would read it.
//!
//! Each storage scenario runs on SQLite and on a fresh PostgreSQL database
//! (skipped with a message when none answers, failed under CI).

mod apps;
mod crash;
mod publish;
// The stock build has the `s3` feature (so CI runs these); a build without
// it has no S3 client to test.
#[cfg(feature = "s3")]
mod s3;
mod serving;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use shared::bundle::{KeyRing, verify_export};

use crate::support::{self, PostgresDatabase};

/// Runs a scenario once on SQLite and once on PostgreSQL.
macro_rules! on_both_storages {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let storage = crate::distribution::Storage::sqlite();
                    super::$name(&storage).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let Some(storage) = crate::distribution::Storage::postgres().await else {
                        return crate::support::skip(stringify!($name), "no PostgreSQL server at 127.0.0.1:5432");
                    };
                    super::$name(&storage).await;
                    storage.drop().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_storages;

/// A data folder and, optionally, a PostgreSQL database.
pub struct Storage {
    dir: tempfile::TempDir,
    postgres: Option<PostgresDatabase>,
}

impl Storage {
    pub fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary folder"),
            postgres: None,
        }
    }

    pub async fn postgres() -> Option<Self> {
        Some(Self {
            dir: tempfile::tempdir().expect("temporary folder"),
            postgres: Some(PostgresDatabase::create().await?),
        })
    }

    pub async fn drop(self) {
        if let Some(database) = self.postgres {
            database.drop_database().await;
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn public(&self) -> PathBuf {
        self.data_dir().join("public")
    }

    /// `--data-dir DIR [--database-url URL]`.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".to_owned(),
            self.data_dir().display().to_string(),
        ];
        if let Some(database) = &self.postgres {
            args.extend(["--database-url".to_owned(), database.url.clone()]);
        }
        args
    }

    /// Runs `warn` with `args` plus the storage options; asserts success.
    pub fn warn(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        let storage = self.args();
        all.extend(storage.iter().map(String::as_str));
        let output = support::warn(&all);
        assert!(
            output.status.success(),
            "warn {args:?} failed:\n{}{}",
            support::stdout(&output),
            support::stderr(&output)
        );
        output
    }

    pub async fn db(&self) -> api::db::Db {
        let url = self.postgres.as_ref().map(|database| database.url.as_str());
        api::db::Db::connect(&self.data_dir(), url)
            .await
            .expect("the database opens")
    }
}

/// Keys stored with a transmission risk level the default configuration
/// publishes (cwa-server's minimum, 3).
pub async fn publishable_count(storage: &Storage) -> usize {
    let db = storage.db().await;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM diagnosis_keys WHERE transmission_risk_level >= 3",
    )
    .fetch_one(db.pool())
    .await
    .expect("count");
    db.close().await;
    usize::try_from(count).expect("a count")
}

/// The key ring that `warn key show` (or `--all`) gives.
pub fn key_ring(storage: &Storage, all: bool) -> KeyRing {
    let mut args = vec!["key", "show"];
    if all {
        args.push("--all");
    }
    let output = storage.warn(&args);
    let text = support::stdout(&output);
    let mut ring = KeyRing::new();
    for block in text.split_inclusive("-----END PUBLIC KEY-----\n") {
        if block.contains("BEGIN PUBLIC KEY") {
            ring.add_pem(block)
                .expect("a public key with id and version");
        }
    }
    assert!(!ring.is_empty(), "warn key show printed no key:\n{text}");
    ring
}

/// The content of a published path, read from the folder as nginx would.
pub fn read(public: &Path, path: &str) -> Option<Vec<u8>> {
    std::fs::read(public.join(path).join("index")).ok()
}

/// A published JSON index.
pub fn index<T: serde::de::DeserializeOwned>(public: &Path, path: &str) -> T {
    let bytes = read(public, path).unwrap_or_else(|| panic!("{path} is published"));
    serde_json::from_slice(&bytes).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// What the published tree holds: for each key, how often it appears in
/// the hourly and in the daily bundles, and in which hour (unix hour).
#[derive(Debug, Default)]
pub struct Tree {
    pub hourly: BTreeMap<[u8; 16], usize>,
    pub daily: BTreeMap<[u8; 16], usize>,
    pub hour_of: BTreeMap<[u8; 16], i64>,
    pub hour_sizes: Vec<usize>,
    pub bundles: usize,
    pub signers: Vec<String>,
}

const ROOT: &str = "version/v1/diagnosis-keys/country";

/// Walks every index from the country list down and verifies every bundle
/// it names against `ring`; `today` adds the hour index of the current day.
/// `EUR` (every key again) is left out: counts are per key and region.
pub fn walk(public: &Path, ring: &KeyRing, today: Option<&str>) -> Tree {
    let mut tree = Tree::default();
    let countries: Vec<String> = index(public, ROOT);
    for country in countries.into_iter().filter(|country| country != "EUR") {
        let dates: Vec<String> = index(public, &format!("{ROOT}/{country}/date"));
        for date in dates.iter().map(String::as_str).chain(today) {
            let day_path = format!("{ROOT}/{country}/date/{date}");
            if Some(date) != today {
                for key in verified(public, &day_path, ring, &mut tree) {
                    *tree.daily.entry(key.0).or_default() += 1;
                }
            }
            let hours: Vec<u32> = index(public, &format!("{day_path}/hour"));
            for hour in hours {
                let keys = verified(public, &format!("{day_path}/hour/{hour}"), ring, &mut tree);
                tree.hour_sizes.push(keys.len());
                for (key, start) in keys {
                    *tree.hourly.entry(key).or_default() += 1;
                    tree.hour_of.insert(key, start / 3600);
                }
            }
        }
    }
    tree
}

/// The keys (with the bundle's start) of a bundle and its further batches,
/// each verified.
fn verified(public: &Path, path: &str, ring: &KeyRing, tree: &mut Tree) -> Vec<([u8; 16], i64)> {
    let mut keys = Vec::new();
    let mut batch = 1;
    loop {
        let batch_path = if batch == 1 {
            path.to_owned()
        } else {
            format!("{path}/batch/{batch}")
        };
        let bytes = read(public, &batch_path)
            .unwrap_or_else(|| panic!("{batch_path} is named by an index but missing"));
        let verified = verify_export(&bytes, ring)
            .unwrap_or_else(|error| panic!("{batch_path} does not verify: {error}"));
        tree.bundles += 1;
        tree.signers.push(verified.signed_by.to_string());
        let export = verified.export;
        let start = export.start_timestamp() as i64;
        for key in &export.keys {
            let data: [u8; 16] = key.key_data().try_into().expect("16-byte keys");
            keys.push((data, start));
        }
        if export.batch_num() >= export.batch_size() {
            return keys;
        }
        batch += 1;
    }
}
