//! Browser tests: the real server (in this process, on a free port) serves
//! the portal that trunk built into `dist/`; headless Chromium, driven through
//! ChromeDriver, uses it as a person would.
//!
//! They need `dist/index.html` (`trunk build`, done by `cargo xtask test`),
//! `chromedriver` and `chromium`. When one is missing they print why and
//! pass, except under `CI=true`, where they fail.

mod admin;
mod lab;
mod landing;
mod looks;
mod phones;
mod quiet;
mod responsive;
mod support;
mod teletan;
mod timing;
mod verifier;
mod words;
