//! Pieces of the interface that stand on their own.

pub mod server_status;
