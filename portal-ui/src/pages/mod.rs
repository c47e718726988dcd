//! One module per route.

pub mod admin;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod teletan;
