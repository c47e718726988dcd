//! Writes the seed corpora `seeds/TARGET/NAME` and, for the EFGS signature,
//! a test CA and what it signed (`fixtures/efgs-ca.der`,
//! `fixtures/efgs-content`), all made by the project's own code.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds`

use std::path::Path;

use der::Encode as _;

fn main() -> anyhow_free::Result {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for target in warn_fuzz::TARGETS {
        let dir = root.join("seeds").join(target);
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in warn_fuzz::seeds::of(target) {
            std::fs::write(dir.join(name), bytes)?;
        }
    }
    // The signature seed: a country certificate of a fresh test CA signs
    // the canonical bytes of the batch seed.
    let certs = tempfile::tempdir()?;
    api::federation::certs::create(certs.path(), &["DE".to_owned()])?;
    let identity = api::federation::certs::Identity::in_dir(certs.path(), "DE")?;
    let ca = api::federation::certs::load_ca(&certs.path().join(api::federation::certs::CA_CERT))?;
    let content =
        api::federation::signature::canonical_bytes(&warn_fuzz::seeds::efgs_batch_value());
    let signature = api::federation::signature::sign(&content, &identity)?;
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &signature)?;
    // Refuse to write a fixture the target could not use.
    let parsed = <x509_cert::Certificate as der::Decode>::from_der(ca.as_ref())?;
    assert_eq!(parsed.to_der()?, ca.as_ref());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    api::federation::signature::verify(&content, &signature, &parsed, now as i64).map_err(
        |error| format!("the seed signature does not verify at the time of making: {error}"),
    )?;
    std::fs::create_dir_all(root.join("fixtures"))?;
    std::fs::write(root.join("fixtures/efgs-ca.der"), ca.as_ref())?;
    std::fs::write(root.join("fixtures/efgs-content"), &content)?;
    std::fs::write(root.join("fixtures/efgs-now"), format!("{now}\n"))?;
    let dir = root.join("seeds/efgs_signature");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("valid"), der)?;
    println!("seeds written under {}", root.join("seeds").display());
    Ok(())
}

/// `Box<dyn Error>` without a dependency.
mod anyhow_free {
    pub type Result = std::result::Result<(), Box<dyn std::error::Error>>;
}
