//! Hashed GUIDs, UUID tokens (registration tokens, TANs) and the SHA-256
//! under which the server stores every secret.
//!
//! `Debug` of every type here hides the value: none may reach a log.

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
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source is available");
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

/// A secret, to be hashed before it is stored or looked up.
pub trait Secret {
    /// The secret's canonical text.
    fn secret_text(&self) -> &str;

    /// The SHA-256 the server stores instead of the secret.
    fn secret_hash(&self) -> SecretHash {
        SecretHash::of(self.secret_text())
    }
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

/// SHA-256 of a secret's text, as stored (64 lower-case hex).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Even a hash of a GUID must not reach a log.
        f.write_str("SecretHash(…)")
    }
}

impl SecretHash {
    /// Hashes `text`.
    pub fn of(text: &str) -> Self {
        Self(Sha256::digest(text.as_bytes()).into())
    }

    /// The stored form: 64 lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
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
    fn secret_hash_is_sha256_of_the_text() {
        assert_eq!(
            SecretHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = Uuid4::generate();
        assert!(!format!("{:?}", token.secret_hash()).contains(&token.secret_hash().to_hex()));
    }
}
