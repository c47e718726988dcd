//! The server's key for stored hashes (SPEC section 2): where it comes from,
//! how processes sharing a database agree on it, and the one-time re-keying
//! of rows written before it existed.
//!
//! - The key is 32 random bytes. By default `DATA_DIR/secrets/hash.key`,
//!   created on first start (mode 0600, folder 0700); or a file the operator
//!   names (`--hash-key-file`, `WARN_HASH_KEY_FILE`, `hash-key-file`), which
//!   must exist. The file holds 64 hex digits (or the 32 raw bytes).
//! - The key never enters the database and is never logged; only its
//!   check value does ([`HashKey::check_value`]): the first process to
//!   migrate a database stores it, and every later process whose key gives
//!   another value refuses to start ([`KeyError::Mismatch`]).
//! - Earlier versions stored `SHA-256(secret)`; the stored form is now
//!   `HMAC(key, SHA-256(secret))`, so the migration re-keys every existing row
//!   without knowing any secret, in the same transaction that stores the
//!   check value (which marks it done): [`crate::db::Db::migrate`] does.

use std::io::Write;
use std::path::{Path, PathBuf};

use shared::verification::HashKey;

/// Where the key lives in the data folder unless the operator names a file.
pub const DEFAULT_KEY_FILE: &str = "secrets/hash.key";

/// Why the hash key could not be had or is not this database's.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("hash key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file holds something other than a key.
    #[error("hash key file {0}: expected 64 hexadecimal digits (or 32 raw bytes)")]
    Malformed(PathBuf),
    /// The database's secrets were hashed under another key.
    #[error(
        "this database's stored secrets are hashed under another key than {0}; every process \
         on one database needs the same key: copy the first process's key file and give it \
         with --hash-key-file (WARN_HASH_KEY_FILE)"
    )]
    Mismatch(PathBuf),
    /// Storage failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The key file a process uses: the operator's, or the data folder's.
pub fn key_path(data_dir: &Path, key_file: Option<&Path>) -> PathBuf {
    key_file.map_or_else(|| data_dir.join(DEFAULT_KEY_FILE), Path::to_path_buf)
}

/// Reads the key from `key_file` (which must exist), or from the data
/// folder's key file, creating it with a new random key on first start.
pub fn load_or_create(data_dir: &Path, key_file: Option<&Path>) -> Result<HashKey, KeyError> {
    let path = key_path(data_dir, key_file);
    match key_file {
        Some(_) => read(&path),
        None if path.exists() => read(&path),
        None => create(&path),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path) -> Result<HashKey, KeyError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    warn_when_readable_by_others(path);
    parse(&bytes).ok_or_else(|| KeyError::Malformed(path.to_path_buf()))
}

/// 64 hex digits (surrounding white space allowed) or exactly 32 bytes.
fn parse(bytes: &[u8]) -> Option<HashKey> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(text) = text.filter(|text| text.len() == 2 * HashKey::LENGTH) {
        let mut key = [0u8; HashKey::LENGTH];
        hex::decode_to_slice(text, &mut key).ok()?;
        return Some(HashKey::from_bytes(key));
    }
    let raw: [u8; HashKey::LENGTH] = bytes.try_into().ok()?;
    Some(HashKey::from_bytes(raw))
}

/// Writes a new key to a temporary file, then links it into place: of
/// processes starting at once on one folder, exactly one key wins, and
/// nobody reads a half-written file.
fn create(path: &Path) -> Result<HashKey, KeyError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    restrict(folder, 0o700).map_err(io(folder))?;
    let key = HashKey::generate();
    let suffix = shared::random::try_bytes::<8>().map_err(|error| KeyError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(error),
    })?;
    let temporary = folder.join(format!(".hash.key.{}", hex::encode(suffix)));
    let written = write_new(&temporary, format!("{}\n", key.to_hex()).as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new hash key for stored secrets");
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(error) => Err(io(path)(error)),
    }
}

fn write_new(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_when_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the hash key file is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_when_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_holds_hex_or_raw_bytes() {
        let key = HashKey::generate();
        assert_eq!(
            parse(format!("{}\n", key.to_hex()).as_bytes()),
            Some(key.clone())
        );
        assert_eq!(parse(key.to_hex().to_uppercase().as_bytes()), Some(key));
        assert!(parse(&[7u8; 32]).is_some());
        for bad in [&b""[..], b"short", &[b'g'; 64], &[1u8; 31], &[1u8; 33]] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
