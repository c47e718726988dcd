//! The phone's side of Exposure Notification: the key schedule (SPEC
//! section 7) and matching diagnosis keys against observed RPIs.
//!
//! - [`crypto`]: TEK → RPIK and AEMK, RPIs, AEM encryption and decryption.
//! - [`RpiDeriver`]: RPIs of many keys at once, in parallel blocks and allocation-free,
//!   with the fastest [`AesBackend`] of the target.
//! - [`observations`]: the phone's log of received beacons (JSON shape).
//! - [`matching`]: diagnosis keys against the log, giving exposure windows.
//! - [`simulate`]: the log a phone would write near another phone, for
//!   tests, benchmarks and demonstrations.

pub mod crypto;
pub mod matching;
pub mod observations;
pub mod simulate;

mod deriver;
mod kdf;
mod rpi_index;
#[cfg(target_arch = "x86_64")]
mod sha_ni;
#[cfg(target_arch = "wasm32")]
mod simd_aes;
mod table_aes;

pub use deriver::{AesBackend, HKDF_LANES, RpiDeriver};
pub use matching::{MatchOptions, Matches, match_keys};
pub use observations::{Observation, ObservationLog};
