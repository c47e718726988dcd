//! The signing keys of the distribution, kept in `DATA_DIR/signing/`.
//!
//! Each key is one file `v<N>.pem`: `Key-Id:` and `Key-Version:` lines, then
//! the PKCS#8 private key (owner-readable only). The key with the highest
//! version signs; older ones stay so that their public keys remain listed
//! for bundles still in circulation. A key configured explicitly
//! (`signing-key` in the configuration file) replaces the folder.

use std::path::{Path, PathBuf};

use serde::Serialize;
use shared::bundle::signing::pem_identity;
use shared::bundle::{KeyIdentity, SIGNATURE_ALGORITHM, Signer};

/// The folder below the data folder that holds the keys.
pub const SIGNING_DIR: &str = "signing";

/// The keys known to the distribution: the active one last.
#[derive(Debug, Clone)]
pub struct SigningKeys {
    keys: Vec<Signer>,
}

/// Why the keys could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file holds no valid key.
    #[error("{0}: not a PKCS#8 PEM P-256 private key with Key-Id and Key-Version lines")]
    Format(PathBuf),
    /// No key exists yet.
    #[error(
        "no signing key in {0} yet (warn serve, warn distribute or warn key rotate creates one)"
    )]
    Missing(PathBuf),
}

/// One public key as the `/version/v1/keys` index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublishedKey {
    /// `verification_key_id` of the signatures it checks.
    pub key_id: String,
    /// `verification_key_version` of the signatures it checks.
    pub key_version: String,
    /// Always ECDSA P-256 with SHA-256.
    pub algorithm: String,
    /// The SPKI PEM public key.
    pub public_key: String,
    /// Whether it signs new bundles.
    pub active: bool,
}

impl SigningKeys {
    /// The key that signs new bundles.
    pub fn active(&self) -> &Signer {
        // Never empty: every constructor holds at least one key.
        &self.keys[self.keys.len() - 1]
    }

    /// Every key, oldest first.
    pub fn all(&self) -> &[Signer] {
        &self.keys
    }

    /// The public keys, as published.
    pub fn published(&self) -> Vec<PublishedKey> {
        let active = self.active().identity().clone();
        self.keys
            .iter()
            .map(|key| PublishedKey {
                key_id: key.identity().key_id.clone(),
                key_version: key.identity().key_version.clone(),
                algorithm: SIGNATURE_ALGORITHM.to_owned(),
                public_key: key.verifying_key_pem(),
                active: *key.identity() == active,
            })
            .collect()
    }

    /// One configured key file (Key-Id/Key-Version lines, or `identity`).
    pub fn from_file(path: &Path, identity: KeyIdentity) -> Result<Self, KeyError> {
        let pem = read(path)?;
        let identity = pem_identity(&pem).unwrap_or(identity);
        let key = Signer::from_pkcs8_pem(&pem, identity)
            .map_err(|_| KeyError::Format(path.to_owned()))?;
        Ok(Self { keys: vec![key] })
    }

    /// The keys in `data_dir/signing`, or an error when there are none.
    pub fn load(data_dir: &Path) -> Result<Self, KeyError> {
        let dir = data_dir.join(SIGNING_DIR);
        let keys = read_folder(&dir)?;
        if keys.is_empty() {
            return Err(KeyError::Missing(dir));
        }
        Ok(Self {
            keys: keys.into_iter().map(|(_, key)| key).collect(),
        })
    }

    /// The keys in `data_dir/signing`; when there are none, creates the
    /// first (version v1, named `key_id`) and returns its path too.
    pub fn load_or_create(
        data_dir: &Path,
        key_id: &str,
    ) -> Result<(Self, Option<PathBuf>), KeyError> {
        match Self::load(data_dir) {
            Ok(keys) => Ok((keys, None)),
            Err(KeyError::Missing(_)) => {
                let path = Self::rotate(data_dir, key_id)?;
                Ok((Self::load(data_dir)?, Some(path)))
            }
            Err(error) => Err(error),
        }
    }

    /// Creates a key one version above the newest (v1 when there is none),
    /// which from then on signs; returns its path.
    pub fn rotate(data_dir: &Path, key_id: &str) -> Result<PathBuf, KeyError> {
        let dir = data_dir.join(SIGNING_DIR);
        let newest = read_folder(&dir)?.last().map_or(0, |(version, _)| *version);
        let version = format!("v{}", newest + 1);
        std::fs::create_dir_all(&dir).map_err(|source| KeyError::Io {
            path: dir.clone(),
            source,
        })?;
        let signer = Signer::generate(KeyIdentity::new(key_id, version.clone()));
        let path = dir.join(format!("{version}.pem"));
        let contents = format!(
            "Key-Id: {key_id}\nKey-Version: {version}\n{}",
            signer.to_pkcs8_pem()
        );
        write_private(&path, &contents)?;
        Ok(path)
    }
}

/// The keys of the folder with their version numbers, oldest first.
fn read_folder(dir: &Path) -> Result<Vec<(u64, Signer)>, KeyError> {
    let io = |source| KeyError::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io(error)),
    };
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let Some(version) = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_prefix('v')?.strip_suffix(".pem"))
            .and_then(|number| number.parse::<u64>().ok())
        else {
            continue;
        };
        let pem = read(&path)?;
        let identity = pem_identity(&pem).ok_or_else(|| KeyError::Format(path.clone()))?;
        let key =
            Signer::from_pkcs8_pem(&pem, identity).map_err(|_| KeyError::Format(path.clone()))?;
        keys.push((version, key));
    }
    keys.sort_by_key(|(version, _)| *version);
    Ok(keys)
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes a secret file readable by its owner only; never replaces one.
fn write_private(path: &Path, contents: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}
