//! Timings in the browser, for BENCHMARKS.md (wasm32 only; nothing runs natively).
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver cargo test -p shared --release \
//!     --target wasm32-unknown-unknown --test wasm_bench -- --nocapture
//! ```
//!
//! Each test prints its figures and also asserts the target, so a slow
//! regression fails here too.

#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod bundle;
#[path = "../../benches/support/keys.rs"]
mod support;

/// Milliseconds since an arbitrary origin, from the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
