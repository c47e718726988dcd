//! The verification and test-result protocol (SPEC sections 2 and 3): the
//! secrets phones and labs exchange, parsed into types that are valid by
//! construction, and the JSON shapes of every request and response.
//!
//! - [`guid`]: a test's GUID from its QR code, the date-of-birth id the
//!   apps derive from it, and the ids labs report results under.
//! - [`teletan`]: teleTANs (10 characters, check character).
//! - [`token`]: hashed GUIDs, registration tokens, TANs, and the keyed hash
//!   (HMAC-SHA256 under a server key) stored instead of any secret.
//! - [`wire`]: request and response bodies, shared by server and portal.

pub mod guid;
pub mod teletan;
pub mod token;
pub mod wire;

pub use guid::{DateOfBirth, GuidError, TestGuid, TestId};
pub use teletan::{TeleTan, TeleTanError};
pub use token::{HashKey, HashedGuid, Secret, SecretHash, TokenError, Uuid4};
pub use wire::TestResult;
