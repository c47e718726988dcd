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
//! bytes are already the same. Objects in a store that keeps headers (S3)
//! carry the `Content-Type` and `Cache-Control` that `warn serve` sends, so
//! a CDN in front of the bucket answers alike.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use shared::paths::{FileKind, ROOT};

/// Name of the object that holds a path's content.
const INDEX: &str = "index";
/// The file a local store's runs lock, beside the published tree.
const LOCK_FILE: &str = ".publish.lock";
/// `Cache-Control` of bundles: their content is fixed once their hour or
/// day is over (a key rotation re-signs them; the old signature stays valid).
pub const BUNDLE_CACHE_CONTROL: &str = "public, max-age=86400";
/// `Cache-Control` of indexes, the key list and the configuration, which
/// change every hour.
pub const INDEX_CACHE_CONTROL: &str = "public, max-age=300";

/// Why publishing failed.
pub type PublishError = object_store::Error;

/// An object store and how its objects are written.
#[derive(Debug, Clone)]
pub struct Publisher {
    store: Arc<dyn ObjectStore>,
    /// The folder of a local store.
    local_dir: Option<Arc<PathBuf>>,
    /// Whether objects carry `Content-Type` and `Cache-Control` (every store
    /// but a local folder, which keeps no headers; nginx derives them).
    headers: bool,
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
            headers: true,
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
        publisher.headers = false;
        Ok(publisher)
    }

    /// Whether this is a local folder (which has its own run lock).
    pub fn is_local(&self) -> bool {
        self.local_dir.is_some()
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

    /// A store named by URL: `file:///DIR` (a local folder, as
    /// [`Publisher::local`]), or `s3://bucket/prefix` (with the `s3`
    /// feature; credentials and endpoint from the `AWS_*` environment).
    pub fn from_url(url: &str) -> Result<Self, PublishError> {
        let parsed = url::Url::parse(url).map_err(|error| object_store::Error::Generic {
            store: "url",
            source: Box::new(error),
        })?;
        if parsed.scheme() == "file" {
            let dir = parsed
                .to_file_path()
                .map_err(|()| object_store::Error::Generic {
                    store: "url",
                    source: format!("{url} names no local folder").into(),
                })?;
            return Self::local(&dir);
        }
        let options = std::env::vars().filter(|(name, _)| name.starts_with("AWS_"));
        let (store, prefix) = object_store::parse_url_opts(&parsed, options)?;
        let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            Arc::from(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self::new(store))
    }

    /// Checks that the store answers and lets this process list the
    /// published tree; a refusal names its likely cause. A local folder
    /// was checked when it was opened.
    pub async fn check(&self) -> Result<(), PublishError> {
        if self.local_dir.is_some() {
            return Ok(());
        }
        let error = match self
            .store
            .list_with_delimiter(Some(&Path::from(ROOT)))
            .await
        {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        // S3 names the reason in the error body's `Code`, which the
        // message carries; `object_store` reports a failed list as generic.
        let text = error.to_string();
        let refused = [
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
            "AccessDenied",
        ];
        let hint = if text.contains("NoSuchBucket") {
            "the bucket does not exist"
        } else if refused.iter().any(|code| text.contains(code))
            || matches!(
                error,
                object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. }
            )
        {
            "the store refused the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
        } else {
            "the store cannot be listed"
        };
        Err(object_store::Error::Generic {
            store: "publish",
            source: format!("{hint}: {error}").into(),
        })
    }

    /// Writes `content` at public path `path` unless it is there already
    /// (with the same headers, in a store that keeps them).
    pub async fn put(&self, path: &str, content: Bytes) -> Result<Outcome, PublishError> {
        let location = object_path(path);
        let attributes = if self.headers {
            headers_of(path)
        } else {
            Attributes::new()
        };
        match self.store.head(&location).await {
            Ok(meta) if meta.size == content.len() as u64 => {
                let stored = self.store.get(&location).await?;
                let same_headers = [Attribute::ContentType, Attribute::CacheControl]
                    .iter()
                    .all(|key| stored.attributes.get(key) == attributes.get(key));
                if stored.bytes().await? == content && same_headers {
                    return Ok(Outcome::Unchanged);
                }
            }
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.store
            .put_opts(&location, PutPayload::from(content), options)
            .await?;
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

/// The `Content-Type` of the published file at `path`: bundles and the
/// signed configurations are zips, everything else is JSON.
pub fn content_type(path: &str) -> &'static str {
    FileKind::of(path).content_type()
}

/// The `Cache-Control` of the published file at `path`: long for bundles,
/// short for what changes every run (indexes, keys, the configurations).
pub fn cache_control(path: &str) -> &'static str {
    if FileKind::of(path).is_immutable() {
        BUNDLE_CACHE_CONTROL
    } else {
        INDEX_CACHE_CONTROL
    }
}

/// The headers an object at public path `path` carries in the store.
fn headers_of(path: &str) -> Attributes {
    Attributes::from_iter([
        (Attribute::ContentType, content_type(path)),
        (Attribute::CacheControl, cache_control(path)),
    ])
}

fn object_path(path: &str) -> Path {
    Path::from(format!("{path}/{INDEX}"))
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
    async fn a_file_url_is_a_local_folder_with_its_run_lock() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = url::Url::from_directory_path(dir.path()).expect("absolute path");
        let publisher = Publisher::from_url(url.as_str()).expect("store");
        publisher
            .put("version/v1/a", Bytes::from_static(b"[]"))
            .await
            .expect("put");
        assert_eq!(
            std::fs::read(dir.path().join("version/v1/a/index")).expect("written"),
            b"[]".to_vec()
        );
        let (_lock, _) = publisher.lock_for_run().await.expect("lock");
        let other = std::fs::File::open(dir.path().join(LOCK_FILE)).expect("open");
        assert!(
            other.try_lock().is_err(),
            "a file URL's runs lock the folder"
        );
    }

    #[test]
    fn published_files_carry_the_headers_of_their_kind() {
        let cases = [
            (
                "version/v1/diagnosis-keys/country/DE/date/2026-11-20",
                "application/zip",
                BUNDLE_CACHE_CONTROL,
            ),
            (
                "version/v1/diagnosis-keys/country/DE/date/2026-11-20/hour/3",
                "application/zip",
                BUNDLE_CACHE_CONTROL,
            ),
            (
                "version/v1/configuration/country/DE/app_config",
                "application/zip",
                INDEX_CACHE_CONTROL,
            ),
            (
                "version/v1/diagnosis-keys/country",
                "application/json",
                INDEX_CACHE_CONTROL,
            ),
            ("version/v1/keys", "application/json", INDEX_CACHE_CONTROL),
        ];
        for (path, expected_type, expected_cache) in cases {
            assert_eq!(content_type(path), expected_type, "{path}");
            assert_eq!(cache_control(path), expected_cache, "{path}");
        }
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
