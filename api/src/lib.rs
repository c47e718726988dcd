//! The warn server and its command line.
//!
//! - [`config`]: layered configuration (options, environment, file, defaults).
//! - [`db`]: the database (SQLite by default, PostgreSQL to scale out).
//! - [`secrets`]: the key of stored hashes, its check across processes, re-keying old rows.
//! - [`sealed`]: secrets that must be read back (TOTP secrets), encrypted under a key derived from it.
//! - [`server`]: the axum application, one startup path for `warn serve` and tests.
//! - [`verification`]: registration tokens, test result polling, TANs, teleTANs.
//! - [`testresult`]: lab uploads and the results the verification service reads.
//! - [`submission`]: diagnosis keys uploaded with a TAN.
//! - [`distribution`]: signed hourly and daily key bundles, and serving them.
//! - [`cleanup`]: the hourly deletion of expired data.
//! - [`stats`]: daily counters for the portal's statistics.
//! - [`internal`]: the calls between services, and their own listener.
//! - [`limits`]: the operator's bounds on connections, time and requests per client.
//! - [`portal`]: the portal API: accounts, sessions, roles, audit, teleTAN issuance.
//! - [`fake`]: fake requests, response padding and the delay model.
//! - [`error`], [`extract`]: the one JSON error shape and the extractors that use it.
//! - [`cli`]: the `warn` subcommands.

pub mod cleanup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod distribution;
pub mod error;
pub mod extract;
pub mod fake;
pub mod federation;
pub mod internal;
pub mod limits;
pub mod listener;
pub mod portal;
pub(crate) mod rate_limit;
pub mod sealed;
pub mod secrets;
pub mod server;
pub mod stats;
pub mod submission;
pub mod telemetry;
pub mod testresult;
pub mod verification;
