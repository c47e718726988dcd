//! The speed target of the browser verifier: verify and match 14 days ×
//! 30,000 keys per day against 2,000 observed RPIs in under 5 seconds, in
//! headless Chromium, timed around [`verifier::job::run`] (what the Web
//! Worker runs), signing excluded.
//!
//! Full size only when asked at build time, in release mode:
//!
//! ```text
//! WARN_WASM_BENCH=1 WASM_BINDGEN_TEST_TIMEOUT=300 cargo test -p verifier --release \
//!     --target wasm32-unknown-unknown --test it speed -- --nocapture   # Chromium
//! WARN_WASM_BENCH=1 cargo test -p verifier --release --test it speed -- --nocapture  # native
//! ```
//!
//! Without `WARN_WASM_BENCH` a small job runs and only its results are checked.

use verifier::job;

use crate::support::fixture;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::{console_log as say, wasm_bindgen_test as test};

#[cfg(not(target_arch = "wasm32"))]
macro_rules! say {
    ($($arg:tt)*) => { eprintln!($($arg)*) };
}

fn full_size() -> bool {
    let asked =
        option_env!("WARN_WASM_BENCH").is_some_and(|value| !value.is_empty() && value != "0");
    assert!(
        !(asked && cfg!(debug_assertions)),
        "WARN_WASM_BENCH measures release builds: add --release"
    );
    asked
}

#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

#[test]
fn speed_verify_and_match_14_days() {
    let full = full_size();
    let (days, keys_per_day) = if full { (14, 30_000) } else { (2, 300) };
    if full {
        // Untimed, so that V8 has optimised the code before the timed run.
        let warm_up = fixture(2, 2_000, 500, 9);
        job::run(&warm_up.spec, &warm_up.bundles, |_| {}).expect("the job runs");
    }
    let fixture = fixture(days, keys_per_day, 2_000, 3);
    let mut steps = 0;
    let start = now_ms();
    let outcome = job::run(&fixture.spec, &fixture.bundles, |_| steps += 1).expect("the job runs");
    let seconds = (now_ms() - start) / 1000.0;
    say!(
        "verify and match {days} days x {keys_per_day} keys against 2,000 beacons: {seconds:.2} s \
         ({} bundles, {} keys, {} checked, {} matched, {} windows, {steps} progress reports)",
        outcome.bundles.len(),
        outcome.diagnosis_keys,
        outcome.keys_checked,
        outcome.keys_matched,
        outcome.windows.len()
    );
    assert!(outcome.bundles.iter().all(|bundle| bundle.valid));
    assert_eq!(outcome.diagnosis_keys, (days * keys_per_day) as usize);
    assert_eq!(outcome.keys_matched, fixture.keys_met);
    if full {
        assert!(seconds < 5.0, "{seconds} s is over 5 s");
    }
}
