//! Types and pure logic shared by the server (`api`) and the browser (`portal-ui`).
//!
//! Everything here compiles to native code and to `wasm32-unknown-unknown`
//! and does no I/O: callers hand in bytes and get back values or typed errors.
//!
//! - [`keys`]: diagnosis keys as the domain sees them, and the JSON key file.
//! - [`bundle`]: the signed Apple/Google export bundle (`export.bin` + `export.sig`
//!   in a zip): building, signing, parsing, verifying.
//! - [`verification`]: teleTANs, hashed GUIDs, tokens and the JSON bodies of
//!   the verification and test-result services.
//! - [`en`]: Exposure Notification cryptography and matching: what a phone
//!   computes from diagnosis keys and the RPIs it observed.
//! - [`portal`]: the JSON bodies of the portal API and the portal roles.
//! - [`lab_csv`]: the lab upload's CSV file, read and checked in the browser.
//! - [`messages`]: the German and English sentence for each error code of
//!   the server, saying what to do.
//! - [`paths`]: the public paths of the distribution.
//! - [`publication`]: what a published key carries for the released apps
//!   (cwa-server's transmission-risk encoding) and the apps' mapping back.
//! - [`random`]: random bytes from the operating system, one policy.
//! - [`risk`]: risk scoring, versions 1 and 2, and the application
//!   configuration that parameterises it.

pub mod bundle;
pub mod en;
pub mod keys;
pub mod lab_csv;
pub mod messages;
pub mod paths;
pub mod portal;
pub mod publication;
pub mod random;
pub mod risk;
pub mod verification;
