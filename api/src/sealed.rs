//! Stored secrets that must be read back, so cannot be hashed: the portal
//! users' TOTP secrets. Each is sealed with AES-256-GCM under a key derived
//! from the server's hash key ([`HashKey::derive_key`], one label per use),
//! with a fresh random 96-bit nonce per write and associated data that
//! binds it to its row: a copy of the database alone gives back nothing,
//! and a value moved to another row or altered does not open. (Random
//! 96-bit nonces stay safe for about 2³² writes under one key; a portal has
//! a few per log-in of a new user.)
//!
//! The stored form is text: `v1:` and the base64 of nonce ‖ ciphertext ‖
//! tag. The prefix names the format, so the plain secrets of earlier
//! versions (base32, which has no `:`) are told apart and sealed at start
//! (`crate::db::Db::migrate`); [`SealingKey::open`]
//! accepts the sealed form only.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shared::verification::HashKey;

/// The first characters of every sealed value; the format's version.
pub const PREFIX: &str = "v1:";
/// The HKDF label of the key that seals the portal users' TOTP secrets.
pub const TOTP_SECRET_LABEL: &str = "warn totp-secret v1";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// An AES-256-GCM key for one use, derived from the server's hash key.
/// `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SealingKey(Aes256Gcm);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(…)")
    }
}

/// What binds a sealed TOTP secret to its user: the user's id, which never
/// changes (a name could be given to another account).
pub fn totp_associated_data(user_id: i64) -> Vec<u8> {
    format!("portal_users.id={user_id}").into_bytes()
}

/// Why a value could not be sealed or opened. No variant carries the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The operating system gave no random nonce.
    #[error("no randomness for a nonce")]
    NoRandomness,
    /// The secret is past GCM's limit (64 GiB).
    #[error("the secret is too long to seal")]
    TooLong,
    /// The value is not in the sealed form (a plain value of an earlier
    /// version that was not sealed at start, or something else).
    #[error("the stored value is not sealed (expected the v1: form)")]
    NotSealed,
    /// The value has the prefix but not the shape of a sealed value.
    #[error("the stored value is a malformed sealed value")]
    Malformed,
    /// Authentication failed: another key (a different key file), another
    /// row's value, or an altered value.
    #[error(
        "the stored value does not open under this server's key: the key file differs, or the \
         value was altered or copied from another row"
    )]
    Rejected,
}

impl SealingKey {
    /// The key for `label` under `hash_key`.
    pub fn derive(hash_key: &HashKey, label: &str) -> Self {
        let key = hash_key.derive_key(label);
        Self(Aes256Gcm::new(&key.into()))
    }

    /// Whether `stored` is in the sealed form (it may still not open).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// Seals `secret` for the row that `associated` names, under a fresh
    /// random nonce: sealing one secret twice gives two different values.
    pub fn seal(&self, secret: &str, associated: &[u8]) -> Result<String, SealError> {
        let nonce: [u8; NONCE_BYTES] =
            shared::random::try_bytes().map_err(|_| SealError::NoRandomness)?;
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: associated,
        };
        let ciphertext = self
            .0
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| SealError::TooLong)?;
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", STANDARD.encode(sealed)))
    }

    /// The secret sealed in `stored` for the row that `associated` names.
    pub fn open(&self, stored: &str, associated: &[u8]) -> Result<String, SealError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(SealError::NotSealed)?;
        let bytes = STANDARD.decode(encoded).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let payload = Payload {
            msg: ciphertext,
            aad: associated,
        };
        let plain = self
            .0
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| SealError::Rejected)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::derive(&HashKey::generate(), TOTP_SECRET_LABEL)
    }

    #[test]
    fn a_sealed_secret_opens_for_its_row_and_shows_nothing_of_it() {
        let key = key();
        let sealed = key.seal("JBSWY3DPEHPK3PXP", b"row 1").expect("sealed");
        assert!(SealingKey::is_sealed(&sealed), "{sealed}");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            key.open(&sealed, b"row 1"),
            Ok("JBSWY3DPEHPK3PXP".to_owned())
        );
        // A fresh nonce per write: the same secret seals differently.
        let again = key.seal("JBSWY3DPEHPK3PXP", b"row 1").expect("sealed");
        assert_ne!(sealed, again);
        assert_ne!(sealed[PREFIX.len()..][..16], again[PREFIX.len()..][..16]);
    }

    #[test]
    fn another_row_another_key_or_an_altered_value_does_not_open() {
        let key = key();
        let sealed = key.seal("JBSWY3DPEHPK3PXP", b"row 1").expect("sealed");
        assert_eq!(key.open(&sealed, b"row 2"), Err(SealError::Rejected));
        assert_eq!(
            self::key().open(&sealed, b"row 1"),
            Err(SealError::Rejected)
        );
        let hash_key = HashKey::generate();
        let other_use = SealingKey::derive(&hash_key, "warn something else v1");
        let totp = SealingKey::derive(&hash_key, TOTP_SECRET_LABEL);
        let sealed_for_totp = totp.seal("JBSWY3DPEHPK3PXP", b"row 1").expect("sealed");
        assert_eq!(
            other_use.open(&sealed_for_totp, b"row 1"),
            Err(SealError::Rejected)
        );
        let mut bytes = STANDARD.decode(&sealed[PREFIX.len()..]).expect("base64");
        for index in [0, NONCE_BYTES, bytes.len() - 1] {
            bytes[index] ^= 1;
            let altered = format!("{PREFIX}{}", STANDARD.encode(&bytes));
            assert_eq!(
                key.open(&altered, b"row 1"),
                Err(SealError::Rejected),
                "byte {index}"
            );
            bytes[index] ^= 1;
        }
    }

    #[test]
    fn only_the_sealed_form_is_read() {
        let key = key();
        let zeros = format!("v1:{}", "A".repeat(40)); // 30 bytes of nonce and tag
        let cases = [
            ("JBSWY3DPEHPK3PXP", SealError::NotSealed),
            ("", SealError::NotSealed),
            ("v2:AAAA", SealError::NotSealed),
            ("v1:", SealError::Malformed),
            ("v1:not base64!", SealError::Malformed),
            (zeros.as_str(), SealError::Rejected),
            ("v1:AAAA", SealError::Malformed),
        ];
        for (stored, expected) in cases {
            assert_eq!(key.open(stored, b"row 1"), Err(expected), "{stored:?}");
        }
        assert!(!SealingKey::is_sealed("JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn the_key_never_prints() {
        assert_eq!(format!("{:?}", key()), "SealingKey(…)");
    }
}
