//! Integration tests of `shared`: one binary, run natively (`cargo test`) and
//! in headless Chromium (`cargo test --target wasm32-unknown-unknown --test it`).
//!
//! On wasm32, `#[test]` below is wasm-bindgen-test's attribute, so every test
//! that does not opt out with `#[cfg(not(target_arch = "wasm32"))]` runs in
//! the browser too.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod bundle;
mod en;
mod matching;
mod risk;
#[cfg(target_arch = "wasm32")]
mod speed;
mod support;
