//! Risk scoring as the phone computes it (SPEC section 8), with every
//! intermediate value kept so the portal can show the calculation.
//!
//! - [`v1`]: the model of the reference architecture (the framework's
//!   `ENExposureConfiguration`): bucket scores, total and minimum risk
//!   score, attenuation durations, combined risk score, risk class.
//! - [`v2`]: exposure windows, the model the apps moved to: filters,
//!   transmission risk levels, weighted minutes, levels per window and per
//!   day, distinct encounters.
//! - [`config`]: the application configuration in the apps' JSON shape and
//!   its conversion to and from the protobuf.
//! - [`defaults`]: the production values, the default configuration.
//! - [`published`]: the operator's document from which the signed v1,
//!   Android and iOS configurations are built.
//! - [`Range`] and [`RiskLevel`]: the pieces both JSON shapes share.

pub mod config;
pub mod defaults;
mod levels;
pub mod published;
pub mod v1;
pub mod v2;

pub use config::{ApplicationConfig, ConfigError};
pub use defaults::default_application_configuration;
pub use levels::{Range, RiskLevel};
