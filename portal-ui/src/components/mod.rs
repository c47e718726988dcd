//! Pieces used by several pages.

pub mod bars;
pub mod chart;
pub mod confirm;
pub mod download;
pub mod error_line;
pub mod focus;
pub mod managed;
pub mod protected;
pub mod server_status;
pub mod spelling;
pub mod time;
