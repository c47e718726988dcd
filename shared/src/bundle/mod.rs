//! Signed bundles in the Apple/Google export format (SPEC sections 5 and 6).
//!
//! A bundle is a zip archive with exactly two entries: `export.bin` (a payload:
//! the 16-byte header and a `TemporaryExposureKeyExport` for key bundles, a
//! bare `ApplicationConfiguration` for the configuration bundle) and
//! `export.sig` (a `TEKSignatureList` of ECDSA P-256 signatures over the whole
//! of `export.bin`).
//!
//! - [`archive`]: the zip container, with limits against hostile input.
//! - [`signing`]: signing keys, verifying keys and the key ring that selects
//!   them by key id and version.
//! - [`export`]: key bundles: build, parse, verify.
//! - [`summary`]: a key bundle in numbers (time window, key counts per
//!   transmission risk level and report type).
//! - [`BundleError`]: one variant per way a bundle can be wrong.

pub mod archive;
pub mod export;
pub mod signing;
pub mod summary;

mod error;

pub use error::{BuildError, BundleError};
pub use export::{
    EXPORT_HEADER, ExportContents, ExportSpec, MAX_KEYS_PER_BUNDLE, VerifiedExport, build_export,
    inspect_export, verify_export,
};
pub use signing::{
    KeyIdentity, KeyRing, SIGNATURE_ALGORITHM, Signer, sign_payload, verify_payload,
};
pub use summary::ExportSummary;
