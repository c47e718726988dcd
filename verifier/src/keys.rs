//! The keys a verifier trusts: the server's published public keys (`GET
//! /version/v1/keys`, each under its key id and version) and, when a person
//! pastes one, a PEM public key.

use serde::{Deserialize, Serialize};
use shared::bundle::KeyRing;

use crate::Language;

/// One public key of `GET /version/v1/keys` (the server's `PublishedKey`
/// in `api/src/distribution/signing.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedKey {
    /// `verification_key_id` of the signatures it checks.
    pub key_id: String,
    /// `verification_key_version` of the signatures it checks.
    pub key_version: String,
    /// The SPKI PEM public key.
    pub public_key: String,
    /// Whether it signs new bundles.
    #[serde(default)]
    pub active: bool,
}

impl PublishedKey {
    /// How the server publishes `signer`'s public key (active).
    pub fn of(signer: &shared::bundle::Signer) -> Self {
        Self {
            key_id: signer.identity().key_id.clone(),
            key_version: signer.identity().key_version.clone(),
            public_key: signer.verifying_key_pem(),
            active: true,
        }
    }
}

/// Why no key ring could be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// Neither server keys nor a pasted key.
    NoKeys,
    /// The pasted text is not a P-256 SPKI PEM public key.
    BadPem,
    /// A key the server published cannot be read (its id and version).
    BadPublished(String),
}

impl KeyProblem {
    /// The reason in `language`.
    pub fn describe(&self, language: Language) -> String {
        match (self, language) {
            (Self::NoKeys, Language::German) => "Kein öffentlicher Schlüssel: Schlüssel des Servers verwenden oder einen PEM-Schlüssel einfügen.".into(),
            (Self::NoKeys, Language::English) => "No public key: use the server's keys or paste a PEM key.".into(),
            (Self::BadPem, Language::German) => "Der eingefügte Text ist kein öffentlicher P-256-Schlüssel im PEM-Format (SPKI).".into(),
            (Self::BadPem, Language::English) => "The pasted text is not a P-256 public key in PEM format (SPKI).".into(),
            (Self::BadPublished(name), Language::German) => format!("Der veröffentlichte Schlüssel {name} ist nicht lesbar."),
            (Self::BadPublished(name), Language::English) => format!("The published key {name} cannot be read."),
        }
    }
}

/// The ring of `published` keys (each under its id and version) and, when
/// not blank, the `pasted` PEM key (under the identity of its `Key-Id:` and
/// `Key-Version:` lines, for any signature otherwise).
pub fn key_ring(published: &[PublishedKey], pasted: &str) -> Result<KeyRing, KeyProblem> {
    let mut ring = KeyRing::new();
    for key in published {
        let pem = format!(
            "Key-Id: {}\nKey-Version: {}\n{}",
            key.key_id, key.key_version, key.public_key
        );
        ring.add_pem(&pem)
            .map_err(|_| KeyProblem::BadPublished(format!("{} {}", key.key_id, key.key_version)))?;
    }
    if !pasted.trim().is_empty() {
        ring.add_pem(pasted).map_err(|_| KeyProblem::BadPem)?;
    }
    if ring.is_empty() {
        return Err(KeyProblem::NoKeys);
    }
    Ok(ring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::bundle::{KeyIdentity, Signer};

    #[test]
    fn published_and_pasted_keys_make_a_ring() {
        let signer = Signer::generate(KeyIdentity::new("DE", "v1"));
        assert!(key_ring(&[PublishedKey::of(&signer)], "").is_ok());
        assert!(key_ring(&[], &signer.verifying_key_pem()).is_ok());
    }

    #[test]
    fn no_key_or_a_bad_key_is_refused() {
        assert_eq!(key_ring(&[], "  ").err(), Some(KeyProblem::NoKeys));
        assert_eq!(
            key_ring(
                &[],
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
            )
            .err(),
            Some(KeyProblem::BadPem)
        );
        let broken = PublishedKey {
            key_id: "DE".into(),
            key_version: "v9".into(),
            public_key: "not a key".into(),
            active: false,
        };
        assert_eq!(
            key_ring(&[broken], "").err(),
            Some(KeyProblem::BadPublished("DE v9".into()))
        );
    }
}
