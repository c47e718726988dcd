//! One module per route.

pub mod admin;
pub mod bundles;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod phone;
pub mod risk;
pub mod teletan;
