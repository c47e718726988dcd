//! `warn keygen`: a P-256 signing key pair for bundles.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use shared::bundle::{KeyIdentity, Signer};

use crate::config::FileConfig;

/// Options of `warn keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Folder to write `private.pem` (PKCS#8) and `public.pem` (SPKI) into.
    #[arg(long, env = "WARN_KEY_DIR", value_name = "DIR")]
    pub out: PathBuf,
    /// Key id published in the bundles' signature info (the CWA uses the
    /// mobile country code, e.g. 262).
    #[arg(long, env = "WARN_KEY_ID", value_name = "ID")]
    pub key_id: Option<String>,
    /// Key version published in the bundles' signature info (e.g. v1).
    #[arg(long, env = "WARN_KEY_VERSION", value_name = "VERSION")]
    pub key_version: Option<String>,
    /// Replace an existing key pair in the folder.
    #[arg(long)]
    pub force: bool,
}

/// Writes a new key pair.
pub fn run(args: KeygenArgs, file: &FileConfig) -> anyhow::Result<ExitCode> {
    let key_id = args
        .key_id
        .or_else(|| file.key_id.clone())
        .unwrap_or_default();
    let key_version = args
        .key_version
        .or_else(|| file.key_version.clone())
        .unwrap_or_default();
    if key_id.trim().is_empty() || key_version.trim().is_empty() {
        bail!("--key-id and --key-version must not be empty");
    }
    let private_path = args.out.join("private.pem");
    let public_path = args.out.join("public.pem");
    if !args.force && (private_path.exists() || public_path.exists()) {
        bail!(
            "{} already holds a key pair; pass --force to replace it",
            args.out.display()
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let signer = Signer::generate(KeyIdentity::new(key_id, key_version));
    write_private(&private_path, &private_key_file(&signer))?;
    std::fs::write(&public_path, signer.public_key_pem())
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    println!(
        "key id {} version {}\nprivate key: {}\npublic key:  {}",
        signer.identity().key_id,
        signer.identity().key_version,
        private_path.display(),
        public_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The private key file: `Key-Id:`/`Key-Version:` lines, then PKCS#8 PEM.
pub fn private_key_file(signer: &Signer) -> String {
    format!(
        "Key-Id: {}\nKey-Version: {}\n{}",
        signer.identity().key_id,
        signer.identity().key_version,
        signer.to_pkcs8_pem()
    )
}

/// Writes a secret file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
