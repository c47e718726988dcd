//! Integration tests of the `warn` binary and server: one test binary.
//!
//! CLI tests run the real `warn` executable; server tests start the real
//! router on port 0 through [`api::server::Application`], the same startup
//! path `warn serve` uses.

#[macro_use]
mod app;
mod cli_bundle;
mod distribution;
mod docs_risk;
mod faults;
mod federation;
mod journey;
mod limits;
mod openapi;
mod portal;
mod portal_client;
mod portal_features;
mod portal_passwords;
mod portal_routes;
mod portal_throttle;
mod privacy;
mod processes;
mod server;
mod services;
mod stored_secrets;
mod stored_totp_secrets;
mod submission;
mod submission_split;
mod support;
mod verification;
