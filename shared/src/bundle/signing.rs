//! Signing keys, verifying keys and the key ring.
//!
//! Signatures are ECDSA P-256 with SHA-256, DER-encoded, over the whole of
//! `export.bin`. Each signature names its key by id and version
//! (`SignatureInfo`); a [`KeyRing`] selects the verifying key by that pair.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use prost::Message;
use proto::exposurenotification::{SignatureInfo, TekSignature, TekSignatureList};

use super::archive::{Archive, EXPORT_SIG, read_archive, write_archive};
use super::error::BundleError;

/// ASN.1 OID of ECDSA with SHA-256, the only algorithm of the format.
pub const SIGNATURE_ALGORITHM: &str = "1.2.840.10045.4.3.2";

/// The id and version under which a public key is published.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyIdentity {
    /// `verification_key_id` (for the CWA: the country's mobile country code, e.g. "262").
    pub key_id: String,
    /// `verification_key_version` (e.g. "v1").
    pub key_version: String,
}

impl KeyIdentity {
    /// An identity from its two parts.
    pub fn new(key_id: impl Into<String>, key_version: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            key_version: key_version.into(),
        }
    }

    /// The `SignatureInfo` that names this key.
    pub fn signature_info(&self) -> SignatureInfo {
        SignatureInfo {
            verification_key_version: Some(self.key_version.clone()),
            verification_key_id: Some(self.key_id.clone()),
            signature_algorithm: Some(SIGNATURE_ALGORITHM.to_owned()),
        }
    }

    fn of(info: &SignatureInfo) -> Self {
        Self::new(info.verification_key_id(), info.verification_key_version())
    }
}

impl std::fmt::Display for KeyIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.key_id, self.key_version)
    }
}

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// Not a PKCS#8 PEM P-256 private key.
    #[error("not a PKCS#8 PEM P-256 private key")]
    PrivateKey,
    /// Not an SPKI PEM P-256 public key.
    #[error("not an SPKI PEM P-256 public key")]
    PublicKey,
}

/// A private signing key with the identity its signatures name.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    identity: KeyIdentity,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("Signer")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A new random key from the operating system's CSPRNG (the browser's
    /// `crypto.getRandomValues` on wasm32).
    pub fn generate(identity: KeyIdentity) -> Self {
        loop {
            let secret: [u8; 32] = crate::random::bytes();
            // Fails only for zero or values at or above the group order (about 2^-32).
            if let Ok(key) = SigningKey::from_slice(&secret) {
                return Self { key, identity };
            }
        }
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(pem: &str, identity: KeyIdentity) -> Result<Self, KeyFormatError> {
        let key =
            SigningKey::from_pkcs8_pem(pem_body(pem)).map_err(|_| KeyFormatError::PrivateKey)?;
        Ok(Self { key, identity })
    }

    /// The private key as PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("a P-256 key always encodes as PKCS#8")
            .to_string()
    }

    /// The public key as SPKI PEM, preceded by `Key-Id:` and `Key-Version:`
    /// lines (text before the PEM boundary, which PEM readers skip).
    pub fn public_key_pem(&self) -> String {
        format!(
            "Key-Id: {}\nKey-Version: {}\n{}",
            self.identity.key_id,
            self.identity.key_version,
            self.verifying_key_pem()
        )
    }

    /// The public key as bare SPKI PEM.
    pub fn verifying_key_pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 key always encodes as SPKI")
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    /// The identity its signatures name.
    pub fn identity(&self) -> &KeyIdentity {
        &self.identity
    }

    /// The DER-encoded signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.key.sign(message);
        let der: DerSignature = signature.to_der();
        der.as_bytes().to_vec()
    }

    /// The `TEKSignature` of `message` for the given batch position.
    pub(super) fn tek_signature(&self, message: &[u8], batch: Option<(i32, i32)>) -> TekSignature {
        TekSignature {
            signature_info: Some(self.identity.signature_info()),
            batch_num: batch.map(|(num, _)| num),
            batch_size: batch.map(|(_, size)| size),
            signature: Some(self.sign(message).into()),
        }
    }
}

/// The part of a PEM text from its first `-----BEGIN` on, so that leading
/// `Key-Id:`/`Key-Version:` lines (or other commentary) are skipped.
fn pem_body(pem: &str) -> &str {
    pem.find("-----BEGIN").map_or(pem, |start| &pem[start..])
}

/// Reads the `Key-Id:` and `Key-Version:` lines before a PEM block, when present.
pub fn pem_identity(pem: &str) -> Option<KeyIdentity> {
    let head = &pem[..pem.find("-----BEGIN").unwrap_or(0)];
    let field = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
    };
    Some(KeyIdentity::new(field("Key-Id:")?, field("Key-Version:")?))
}

/// A public key and, when known, the identity it is published under. A key
/// without identity is tried for every signature.
#[derive(Debug, Clone)]
struct RingEntry {
    identity: Option<KeyIdentity>,
    key: VerifyingKey,
}

/// The set of public keys a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    entries: Vec<RingEntry>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key known under `identity`.
    pub fn add(&mut self, identity: KeyIdentity, key: VerifyingKey) {
        self.entries.push(RingEntry {
            identity: Some(identity),
            key,
        });
    }

    /// Adds a key that is tried for any signature, whatever key it names.
    pub fn add_any(&mut self, key: VerifyingKey) {
        self.entries.push(RingEntry {
            identity: None,
            key,
        });
    }

    /// Adds an SPKI PEM public key: under the identity of its `Key-Id:` and
    /// `Key-Version:` lines when it has them, for any signature otherwise.
    pub fn add_pem(&mut self, pem: &str) -> Result<(), KeyFormatError> {
        let key = VerifyingKey::from_public_key_pem(pem_body(pem))
            .map_err(|_| KeyFormatError::PublicKey)?;
        match pem_identity(pem) {
            Some(identity) => self.add(identity, key),
            None => self.add_any(key),
        }
        Ok(())
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys to try for a signature naming `named`: those published under
    /// that identity, then those without identity. A signature that names no
    /// key id (allowed when a bundle has a single signature) tries every key.
    fn candidates<'a>(
        &'a self,
        named: &'a KeyIdentity,
        anonymous_allowed: bool,
    ) -> impl Iterator<Item = &'a VerifyingKey> + 'a {
        self.entries
            .iter()
            .filter(move |entry| match &entry.identity {
                None => true,
                Some(_) if named.key_id.is_empty() => anonymous_allowed,
                Some(identity) => {
                    identity.key_id == named.key_id
                        && (identity.key_version == named.key_version
                            || named.key_version.is_empty())
                }
            })
            .map(|entry| &entry.key)
    }
}

/// Signs a payload that has no header of its own (the configuration bundle)
/// and wraps it in a bundle; each signature says batch 1 of 1, as
/// cwa-server's configuration signatures do.
pub fn sign_payload(payload: &[u8], signers: &[&Signer]) -> Vec<u8> {
    let list = TekSignatureList {
        signatures: signers
            .iter()
            .map(|signer| signer.tek_signature(payload, Some((1, 1))))
            .collect(),
    };
    write_archive(payload, &list.encode_to_vec())
}

/// Verifies a bundle whose payload has no header (the configuration bundle)
/// and returns the payload and the identity of the key that verified it.
pub fn verify_payload(
    bundle: &[u8],
    ring: &KeyRing,
) -> Result<(Vec<u8>, KeyIdentity), BundleError> {
    let Archive { bin, sig } = read_archive(bundle)?;
    let list = decode_signatures(&sig)?;
    let identity = verify_signatures(&bin, &list, ring, None)?;
    Ok((bin, identity))
}

/// Decodes `export.sig`.
pub(super) fn decode_signatures(sig: &[u8]) -> Result<TekSignatureList, BundleError> {
    TekSignatureList::decode(sig).map_err(|error| BundleError::BadProtobuf {
        entry: EXPORT_SIG,
        reason: error.to_string(),
    })
}

/// Checks the signatures of `message` until one verifies with a key of the
/// ring; `batch` is the export's `(batch_num, batch_size)`, which every
/// signature must repeat. Returns the identity the good signature names.
pub(super) fn verify_signatures(
    message: &[u8],
    list: &TekSignatureList,
    ring: &KeyRing,
    batch: Option<(Option<i32>, Option<i32>)>,
) -> Result<KeyIdentity, BundleError> {
    let anonymous_allowed = list.signatures.len() == 1;
    let mut first_failure = None;
    let mut named = Vec::new();
    for signature in &list.signatures {
        let info = signature.signature_info.clone().unwrap_or_default();
        let identity = KeyIdentity::of(&info);
        let mut candidates = ring.candidates(&identity, anonymous_allowed).peekable();
        if candidates.peek().is_none() {
            named.push(identity.to_string());
            continue;
        }
        let outcome = check_signature(message, signature, &info, &identity, batch, candidates);
        match outcome {
            Ok(()) => return Ok(identity),
            Err(error) => {
                first_failure.get_or_insert(error);
            }
        }
    }
    Err(first_failure.unwrap_or_else(|| {
        BundleError::NoKnownSignature(if named.is_empty() {
            "no signature".to_owned()
        } else {
            named.join(", ")
        })
    }))
}

fn check_signature<'a>(
    message: &[u8],
    signature: &TekSignature,
    info: &SignatureInfo,
    identity: &KeyIdentity,
    batch: Option<(Option<i32>, Option<i32>)>,
    candidates: impl Iterator<Item = &'a VerifyingKey>,
) -> Result<(), BundleError> {
    if info.signature_algorithm() != SIGNATURE_ALGORITHM {
        return Err(BundleError::UnsupportedAlgorithm(
            info.signature_algorithm().to_owned(),
        ));
    }
    if let Some(export_batch) = batch {
        let signed_batch = (signature.batch_num, signature.batch_size);
        if signed_batch != export_batch {
            let show = |(num, size): (Option<i32>, Option<i32>)| {
                let part = |value: Option<i32>| value.map_or("-".to_owned(), |v| v.to_string());
                format!("{}/{}", part(num), part(size))
            };
            return Err(BundleError::BatchMismatch {
                export: show(export_batch),
                signature: show(signed_batch),
            });
        }
    }
    let der = signature.signature.as_deref().unwrap_or_default();
    let parsed = Signature::from_der(der).map_err(|_| BundleError::MalformedSignature)?;
    for key in candidates {
        if key.verify(message, &parsed).is_ok() {
            return Ok(());
        }
    }
    Err(BundleError::SignatureMismatch {
        key_id: identity.key_id.clone(),
        key_version: identity.key_version.clone(),
    })
}
