//! Hashed GUIDs, UUID tokens (registration tokens, TANs) and the keyed
//! hash under which the server stores every secret (SPEC section 2).
//!
//! A stored secret is `HMAC-SHA256(key, SHA-256(secret text))`, hex-encoded,
//! where the key ([`HashKey`]) is a server secret kept outside the database.
//! Without the key, a leaked database does not give back a low-entropy
//! secret (a teleTAN has about 44 bits) by brute force. The inner SHA-256 is
//! what earlier versions stored, so existing rows are re-keyed without
//! knowing their secrets ([`HashKey::rekey_legacy`]). A secret that must be
//! read back (a portal user's TOTP secret) cannot be hashed; it is encrypted
//! under a key derived from this one ([`HashKey::derive_key`]).
//!
//! `Debug` of every type here hides the value: none may reach a log.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Why a text is not a token of the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not 64 hexadecimal characters.
    #[error("a hashed GUID is 64 hexadecimal characters (the SHA-256 of the GUID)")]
    HashedGuid,
    /// Not a version 4 UUID in its canonical form.
    #[error("expected a version 4 UUID (xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx)")]
    Uuid,
}

/// The SHA-256 of a test's GUID, 64 lower-case hex: what phones and labs send.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HashedGuid(String);

impl std::fmt::Debug for HashedGuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedGuid(…)")
    }
}

impl HashedGuid {
    /// Hashes a GUID as printed on the sample form (or in its QR code), as a
    /// phone does and as the lab form does in the browser.
    pub fn from_guid(guid: &str) -> Self {
        Self(hex::encode(Sha256::digest(guid.trim().as_bytes())))
    }

    /// Reads a hashed GUID; upper-case hex is accepted and lower-cased.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(TokenError::HashedGuid)
        }
    }

    /// The 64 hex characters.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A version 4 UUID used as a secret: a registration token or a TAN.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uuid4(String);

impl std::fmt::Debug for Uuid4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Uuid4(…)")
    }
}

impl Uuid4 {
    /// A new random UUID (122 random bits from the CSPRNG).
    pub fn generate() -> Self {
        let mut bytes = crate::random::bytes::<16>();
        bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
        let hex = hex::encode(bytes);
        Self(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    /// Reads a canonical version 4 UUID (either case; kept lower-case).
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 36
            && bytes.iter().enumerate().all(|(index, b)| match index {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        let version_ok = shape_ok && bytes[14] == b'4';
        let variant_ok =
            shape_ok && matches!(bytes[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b');
        if version_ok && variant_ok {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(TokenError::Uuid)
        }
    }

    /// The 36 characters.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A secret, to be hashed before it is stored or looked up. Only a
/// [`HashKey`] turns one into its stored form: there is no unkeyed hash.
pub trait Secret {
    /// The secret's canonical text.
    fn secret_text(&self) -> &str;
}

impl Secret for HashedGuid {
    fn secret_text(&self) -> &str {
        &self.0
    }
}

impl Secret for Uuid4 {
    fn secret_text(&self) -> &str {
        &self.0
    }
}

impl Secret for super::TeleTan {
    fn secret_text(&self) -> &str {
        self.expose()
    }
}

/// A secret that has no type of its own (a lab API key, a session id).
impl Secret for str {
    fn secret_text(&self) -> &str {
        self
    }
}

/// A secret that has no type of its own (a lab API key, a session id).
impl Secret for String {
    fn secret_text(&self) -> &str {
        self
    }
}

/// The server's key for stored hashes: 32 random bytes that never enter the
/// database. `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct HashKey([u8; HashKey::LENGTH]);

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey(…)")
    }
}

/// The fixed text whose keyed hash tells whether two processes hold the same
/// key (a different length than a SHA-256, so it is never a secret's hash).
const CHECK_LABEL: &[u8] = b"warn stored-secret hash key check v1";

impl HashKey {
    /// Bytes in a key.
    pub const LENGTH: usize = 32;

    /// Wraps key bytes (from the key file).
    pub fn from_bytes(bytes: [u8; Self::LENGTH]) -> Self {
        Self(bytes)
    }

    /// A new random key from the CSPRNG.
    pub fn generate() -> Self {
        Self(crate::random::bytes())
    }

    /// The key as 64 hex digits, for writing the key file (and nothing else).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The stored form of `secret`.
    pub fn hash<S: Secret + ?Sized>(&self, secret: &S) -> SecretHash {
        self.rekey_legacy(&Sha256::digest(secret.secret_text().as_bytes()).into())
    }

    /// The stored form of a secret of which only the unkeyed SHA-256 is
    /// known: what earlier versions stored. `rekey_legacy(sha256(s)) ==
    /// hash(s)`, so a migration re-keys old rows without their secrets.
    pub fn rekey_legacy(&self, sha256: &[u8; 32]) -> SecretHash {
        SecretHash(self.mac(sha256))
    }

    /// A 32-byte key for another use than hashing, derived from this one by
    /// HKDF-SHA256 (RFC 5869, no salt) with `label` as its info: keys of
    /// different labels are independent of each other and of the stored
    /// hashes, and none gives this key back. The label names the use and
    /// its version (`"warn totp-secret v1"`), so changing either gives a
    /// new key.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        let mut key = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(None, &self.0)
            .expand(label.as_bytes(), &mut key)
            .expect("HKDF-SHA256 gives up to 8160 bytes");
        key
    }

    /// A value that shows, without revealing the key, whether another
    /// process holds the same key: the keyed hash of a fixed label.
    pub fn check_value(&self) -> String {
        hex::encode(self.mac(CHECK_LABEL))
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// The stored form of a secret: HMAC-SHA256 under the [`HashKey`] of the
/// secret's SHA-256 (64 lower-case hex). Made only by a [`HashKey`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Even a hash of a GUID must not reach a log.
        f.write_str("SecretHash(…)")
    }
}

impl SecretHash {
    /// The stored form: 64 lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A stored form as another service sends it (64 hex digits, either
    /// case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        (text.len() == 64)
            .then(|| hex::decode_to_slice(text, &mut bytes).ok())
            .flatten()
            .map(|()| Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_hash_matches_sha256_hex() {
        // echo -n "3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA" | sha256sum
        let hashed = HashedGuid::from_guid("3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA");
        assert_eq!(
            hashed.expose(),
            "49cadef62bc9cdd16c73a044d1ff85e229cfc7a308ef4413d42af8276c9e4e98"
        );
        assert_eq!(
            HashedGuid::parse(&hashed.expose().to_uppercase()),
            Ok(hashed)
        );
        assert_eq!(HashedGuid::parse("abc"), Err(TokenError::HashedGuid));
        assert_eq!(
            HashedGuid::parse(&"g".repeat(64)),
            Err(TokenError::HashedGuid)
        );
    }

    #[test]
    fn a_stored_hash_reads_back_from_its_hex_only() {
        let hash = HashKey::generate().hash(&Uuid4::generate());
        assert_eq!(SecretHash::from_hex(&hash.to_hex()), Some(hash.clone()));
        assert_eq!(
            SecretHash::from_hex(&hash.to_hex().to_uppercase()),
            Some(hash.clone())
        );
        for bad in ["", "ab", &"g".repeat(64), &"a".repeat(63), &"a".repeat(65)] {
            assert_eq!(SecretHash::from_hex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn uuid4_generates_and_parses() {
        for _ in 0..200 {
            let token = Uuid4::generate();
            assert_eq!(Uuid4::parse(token.expose()), Ok(token.clone()));
        }
        assert!(Uuid4::parse("8c9e5a6a-6e5f-4c4b-9c3e-1a2b3c4d5e6f").is_ok());
        assert_eq!(
            Uuid4::parse("8c9e5a6a-6e5f-1c4b-9c3e-1a2b3c4d5e6f"),
            Err(TokenError::Uuid)
        );
        assert_eq!(
            Uuid4::parse("8c9e5a6a-6e5f-4c4b-7c3e-1a2b3c4d5e6f"),
            Err(TokenError::Uuid)
        );
        assert_eq!(
            Uuid4::parse("8c9e5a6a6e5f4c4b9c3e1a2b3c4d5e6f"),
            Err(TokenError::Uuid)
        );
        assert_eq!(Uuid4::parse(""), Err(TokenError::Uuid));
    }

    #[test]
    fn secret_hash_is_hmac_of_the_sha256_under_the_key() {
        // python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)),
        //   hashlib.sha256(b'abc').digest(), hashlib.sha256).hexdigest())"
        let key = HashKey::from_bytes(std::array::from_fn(|i| i as u8));
        assert_eq!(
            key.hash("abc").to_hex(),
            "910ec338f64892dfc0288e343162e996b71c39c67dd1cad13923f2d67a79cff6"
        );
        // Not the unkeyed SHA-256 of earlier versions, and another key gives another hash.
        assert_ne!(
            key.hash("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(HashKey::generate().hash("abc"), key.hash("abc"));
        let token = Uuid4::generate();
        assert!(!format!("{:?}", key.hash(&token)).contains(&key.hash(&token).to_hex()));
    }

    #[test]
    fn rekeying_an_old_sha256_gives_the_new_stored_form() {
        let key = HashKey::generate();
        let teletan = super::super::TeleTan::generate();
        let legacy: [u8; 32] = Sha256::digest(teletan.expose().as_bytes()).into();
        assert_eq!(key.rekey_legacy(&legacy), key.hash(&teletan));
    }

    #[test]
    fn a_derived_key_is_hkdf_sha256_of_the_key_with_the_label_as_info() {
        // python3 -c "import hmac,hashlib; prk=hmac.new(bytes(32), bytes(range(32)),
        //   hashlib.sha256).digest(); print(hmac.new(prk, b'warn totp-secret v1\x01',
        //   hashlib.sha256).hexdigest())"
        let key = HashKey::from_bytes(std::array::from_fn(|i| i as u8));
        assert_eq!(
            hex::encode(key.derive_key("warn totp-secret v1")),
            "fb8a6e379ff09779f7dd131cb1f61b1ca80f799a958646a63594f73b08065a57"
        );
        // Another label, another key; neither is the key, its check value or a hash.
        let derived = key.derive_key("warn totp-secret v1");
        assert_ne!(derived, key.derive_key("warn totp-secret v2"));
        assert_ne!(hex::encode(derived), key.to_hex());
        assert_ne!(hex::encode(derived), key.check_value());
        assert_ne!(derived, key.hash("warn totp-secret v1").0);
    }

    #[test]
    fn the_key_never_prints_and_its_check_value_is_not_a_secret_hash() {
        let key = HashKey::generate();
        let debug = format!("{key:?}");
        assert_eq!(debug, "HashKey(…)");
        assert!(!debug.contains(&key.to_hex()[..8]));
        assert_eq!(key.check_value(), key.clone().check_value());
        assert_ne!(key.check_value(), HashKey::generate().check_value());
        assert_ne!(
            key.check_value(),
            key.hash(std::str::from_utf8(CHECK_LABEL).unwrap()).to_hex()
        );
    }
}
