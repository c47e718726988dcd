//! Where published files go: an object store (a local folder by default,
//! any S3-compatible store with the `s3` feature), and the paths they take.
//!
//! Every public path `P` (`version/v1/diagnosis-keys/country/DE/date`, ...)
//! is stored as the object `P/index`, because on a file system the daily
//! bundle `.../date/2026-11-20` and the hour index `.../date/2026-11-20/hour`
//! cannot both exist otherwise (the layout of the Corona-Warn-App's CDN;
//! nginx serves it with `try_files $uri/index`).
//!
//! Writes are atomic per object (the local store writes a temporary file
//! and renames it; S3 replaces objects whole) and skipped when the stored
//! bytes are already the same.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// The first segments of every published path.
pub const ROOT: &str = "version/v1";
/// Name of the object that holds a path's content.
const INDEX: &str = "index";
/// The file a local store's runs lock, beside the published tree.
const LOCK_FILE: &str = ".publish.lock";

/// Why publishing failed.
pub type PublishError = object_store::Error;

/// An object store plus counters of what was written.
#[derive(Debug, Clone)]
pub struct Publisher {
    store: Arc<dyn ObjectStore>,
    /// The folder of a local store.
    local_dir: Option<Arc<PathBuf>>,
    written: Arc<AtomicU64>,
    unchanged: Arc<AtomicU64>,
}

/// Whether a put changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New or different content was written.
    Written,
    /// The store held the same bytes already.
    Unchanged,
}

impl Publisher {
    /// Over any object store.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self {
            store,
            local_dir: None,
            written: Arc::default(),
            unchanged: Arc::default(),
        }
    }

    /// A local folder (created when missing).
    pub fn local(dir: &FsPath) -> Result<Self, PublishError> {
        std::fs::create_dir_all(dir).map_err(|source| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(source),
        })?;
        let mut publisher = Self::new(Arc::new(
            LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true),
        ));
        publisher.local_dir = Some(Arc::new(dir.to_owned()));
        Ok(publisher)
    }

    /// Takes the run lock of a local store (an exclusive lock on a file
    /// beside the tree, held until the guard drops; a run of another
    /// process is waited for), then deletes the temporary files that
    /// killed writers left, which no one else can be writing now. Answers
    /// how many it deleted. Other stores replace objects whole and leave
    /// nothing behind; they need neither.
    pub async fn lock_for_run(&self) -> Result<(RunLock, usize), PublishError> {
        let Some(dir) = self.local_dir.clone() else {
            return Ok((RunLock { _file: None }, 0));
        };
        let generic = |source: std::io::Error| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(source),
        };
        tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(LOCK_FILE))?;
            file.lock()?;
            let swept = sweep_staging_files(&dir)?;
            Ok::<_, std::io::Error>((RunLock { _file: Some(file) }, swept))
        })
        .await
        .map_err(|error| generic(std::io::Error::other(error)))?
        .map_err(generic)
    }

    /// A store named by URL: `file:///...`, or `s3://bucket/prefix` (with the
    /// `s3` feature; credentials and endpoint from the `AWS_*` environment).
    pub fn from_url(url: &str) -> Result<Self, PublishError> {
        let parsed = url::Url::parse(url).map_err(|error| object_store::Error::Generic {
            store: "url",
            source: Box::new(error),
        })?;
        let options = std::env::vars().filter(|(name, _)| name.starts_with("AWS_"));
        let (store, prefix) = object_store::parse_url_opts(&parsed, options)?;
        let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            Arc::from(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self::new(store))
    }

    /// Writes `content` at public path `path` unless it is there already.
    pub async fn put(&self, path: &str, content: Bytes) -> Result<Outcome, PublishError> {
        let location = object_path(path);
        match self.store.head(&location).await {
            Ok(meta) if meta.size == content.len() as u64 => {
                let stored = self.store.get(&location).await?.bytes().await?;
                if stored == content {
                    self.unchanged.fetch_add(1, Ordering::Relaxed);
                    return Ok(Outcome::Unchanged);
                }
            }
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        self.store.put(&location, PutPayload::from(content)).await?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(Outcome::Written)
    }

    /// The content at public path `path`, when there is one.
    pub async fn get(&self, path: &str) -> Result<Option<Bytes>, PublishError> {
        match self.store.get(&object_path(path)).await {
            Ok(result) => result.bytes().await.map(Some),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every public path under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, PublishError> {
        let objects: Vec<_> = self
            .store
            .list(Some(&Path::from(prefix)))
            .try_collect()
            .await?;
        Ok(objects
            .into_iter()
            .filter_map(|meta| {
                meta.location
                    .as_ref()
                    .strip_suffix(INDEX)
                    .and_then(|path| path.strip_suffix('/'))
                    .map(str::to_owned)
            })
            .collect())
    }

    /// Deletes public path `path`.
    pub async fn delete(&self, path: &str) -> Result<(), PublishError> {
        match self.store.delete(&object_path(path)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Objects written so far (new or changed).
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Puts skipped so far because the content was already there.
    pub fn unchanged(&self) -> u64 {
        self.unchanged.load(Ordering::Relaxed)
    }
}

/// Holds a local store's run lock; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: Option<std::fs::File>,
}

/// Deletes the files under `dir` that the local store wrote to rename into
/// place (`NAME#N`) and that a killed writer never renamed.
fn sweep_staging_files(dir: &FsPath) -> std::io::Result<usize> {
    let mut swept = 0;
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && is_staging_file(&entry.file_name().to_string_lossy()) {
                std::fs::remove_file(entry.path())?;
                swept += 1;
            }
        }
    }
    Ok(swept)
}

/// Whether a file name is a local store's temporary name: `NAME#DIGITS`.
fn is_staging_file(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(stem, suffix)| {
        !stem.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
    })
}

fn object_path(path: &str) -> Path {
    Path::from(format!("{path}/{INDEX}"))
}

/// Public paths of the distribution (SPEC section 5).
pub mod paths {
    use super::ROOT;

    /// `["DE", ...]`: the regions that have bundles.
    pub fn country_index() -> String {
        format!("{ROOT}/diagnosis-keys/country")
    }

    /// Prefix of everything of one region.
    pub fn region(region: &str) -> String {
        format!("{ROOT}/diagnosis-keys/country/{region}")
    }

    /// `["2026-11-20", ...]`: the complete days of a region.
    pub fn date_index(region: &str) -> String {
        format!("{}/date", self::region(region))
    }

    /// The daily bundle; batches after the first at `.../batch/N`.
    pub fn day_bundle(region: &str, date: &str, batch: u32) -> String {
        with_batch(format!("{}/{date}", date_index(region)), batch)
    }

    /// `[0, 1, ...]`: the complete hours of a day.
    pub fn hour_index(region: &str, date: &str) -> String {
        format!("{}/{date}/hour", date_index(region))
    }

    /// The hourly bundle; batches after the first at `.../batch/N`.
    pub fn hour_bundle(region: &str, date: &str, hour: u32, batch: u32) -> String {
        with_batch(format!("{}/{hour}", hour_index(region, date)), batch)
    }

    /// The signed application configuration.
    pub fn app_config(region: &str) -> String {
        format!("{ROOT}/configuration/country/{region}/app_config")
    }

    /// The public keys that verify bundles, as JSON.
    pub fn keys() -> String {
        format!("{ROOT}/keys")
    }

    fn with_batch(path: String, batch: u32) -> String {
        if batch <= 1 {
            path
        } else {
            format!("{path}/batch/{batch}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_are_recognised() {
        assert!(is_staging_file("index#1"));
        assert!(is_staging_file("index#12345"));
        assert!(!is_staging_file("index"));
        assert!(!is_staging_file("index#"));
        assert!(!is_staging_file("#1"));
        assert!(!is_staging_file("index#1a"));
        assert!(!is_staging_file(LOCK_FILE));
    }

    #[tokio::test]
    async fn a_run_lock_sweeps_what_killed_writers_left() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let publisher = Publisher::local(dir.path()).expect("store");
        publisher
            .put("version/v1/a", Bytes::from_static(b"[]"))
            .await
            .expect("put");
        let nested = dir.path().join("version/v1/a");
        std::fs::write(nested.join("index#7"), b"partial").expect("write");
        std::fs::write(dir.path().join("version/v1/index#3"), b"partial").expect("write");
        let (lock, swept) = publisher.lock_for_run().await.expect("lock");
        assert_eq!(swept, 2);
        assert!(!nested.join("index#7").exists());
        assert_eq!(
            std::fs::read(nested.join("index")).expect("kept"),
            b"[]".to_vec()
        );
        // A second run waits for the first: try from another handle.
        let other = std::fs::File::open(dir.path().join(LOCK_FILE)).expect("open");
        assert!(other.try_lock().is_err());
        drop(lock);
        assert!(other.try_lock().is_ok());
    }
}
