//! Risk scoring, versions 1 and 2, and the configuration behind them.

mod config;
mod v1;
mod v2;
