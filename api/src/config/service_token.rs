//! The secret the services of one deployment share: parsed (and its
//! length checked) where the configuration is read, compared in constant
//! time where a call arrives, never printed.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The secret shared by the services of one deployment.
#[derive(Clone)]
pub struct ServiceToken(Vec<u8>);

impl std::fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceToken(…)")
    }
}

impl ServiceToken {
    /// Wraps the configured token; it must be long enough to resist guessing.
    pub fn new(token: &str) -> Result<Self, &'static str> {
        if token.len() < 32 {
            return Err("the service token must have at least 32 characters");
        }
        Ok(Self(token.as_bytes().to_vec()))
    }

    /// The token as sent.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Compares in constant time (over the digests, so length leaks nothing).
    pub fn matches(&self, presented: &[u8]) -> bool {
        Sha256::digest(&self.0)
            .ct_eq(&Sha256::digest(presented))
            .into()
    }
}

impl std::str::FromStr for ServiceToken {
    type Err = &'static str;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Self::new(token)
    }
}
