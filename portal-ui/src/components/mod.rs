//! Pieces used by several pages.

pub mod chart;
pub mod error_line;
pub mod protected;
pub mod server_status;
pub mod spelling;
