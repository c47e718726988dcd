//! One module per route.

pub mod admin;
pub mod admin_audit;
pub mod admin_labs;
pub mod admin_users;
pub mod bundles;
pub mod lab;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod password;
pub mod phone;
pub mod risk;
pub mod stats;
pub mod teletan;
pub mod teletan_batch;
