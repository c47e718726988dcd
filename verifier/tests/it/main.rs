//! Tests of the verifier's job: one binary, run natively (`cargo test -p
//! verifier`) and in headless Chromium (`cargo test -p verifier --target
//! wasm32-unknown-unknown --test it`), where the Web Worker runs the same
//! code.
//!
//! On wasm32, `#[test]` below is wasm-bindgen-test's attribute.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod job;
mod speed;
mod support;
