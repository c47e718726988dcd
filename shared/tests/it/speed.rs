//! Speed in the browser: dense RPI derivation and matching, timed in
//! headless Chromium (issue 3; figures in BENCHMARKS.md).
//!
//! Full size only when asked at build time, in release mode:
//!
//! ```text
//! WARN_WASM_BENCH=1 WASM_BINDGEN_TEST_TIMEOUT=180 cargo test -p shared --release \
//!     --target wasm32-unknown-unknown --test it speed -- --nocapture
//! ```
//!
//! (The runner gives up after 20 seconds unless told otherwise; these take
//! about a minute.)
//!
//! Then the targets are asserted: at least 10 million RPIs a second, and
//! 14 days × 30,000 keys against 2,000 beacons in under 5 seconds. Without
//! `WARN_WASM_BENCH` the same code runs on a small scenario and checks its
//! results only, so normal test runs stay fast.

use wasm_bindgen_test::console_log;
use wasm_bindgen_test::wasm_bindgen_test as test;

use shared::en::matching::MatchStrategy;
use shared::en::simulate::{self, SplitMix64};
use shared::en::{AesBackend, MatchOptions, RpiDeriver, match_keys};

fn full_size() -> bool {
    let asked =
        option_env!("WARN_WASM_BENCH").is_some_and(|value| !value.is_empty() && value != "0");
    assert!(
        !(asked && cfg!(debug_assertions)),
        "WARN_WASM_BENCH measures release builds: add --release"
    );
    asked
}

/// Milliseconds from `performance.now()`-like clock: `Date.now()` is enough
/// for runs of a second.
fn now() -> f64 {
    js_sys::Date::now()
}

/// Runs `work` until `seconds` have passed, after one untimed run (V8
/// compiles WebAssembly with a baseline compiler first and optimises hot
/// functions later), and returns the runs per second of the best of three.
fn rate(seconds: f64, mut work: impl FnMut() -> u8) -> f64 {
    std::hint::black_box(work());
    let mut best: f64 = 0.0;
    for _ in 0..3 {
        let start = now();
        let mut runs = 0u32;
        let mut fold = 0u8;
        while now() - start < seconds * 1000.0 / 3.0 {
            fold ^= work();
            runs += 1;
        }
        std::hint::black_box(fold);
        best = best.max(f64::from(runs) * 1000.0 / (now() - start));
    }
    best
}

#[test]
fn dense_rpi_derivation_speed() {
    let full = full_size();
    let mut random = SplitMix64(5);
    let teks: Vec<[u8; 16]> = (0..if full { 1000 } else { 10 })
        .map(|_| random.key())
        .collect();
    let seconds = if full { 1.5 } else { 0.05 };
    let mut last_rpis = Vec::new();
    for (name, backend) in [
        ("SIMD bitsliced (the default here)", AesBackend::Simd128),
        ("lookup tables", AesBackend::Tables),
        ("aes crate, bitsliced", AesBackend::AesCrate),
    ] {
        let mut deriver = RpiDeriver::with_backend(backend);
        let last_rpi =
            |deriver: &mut RpiDeriver| deriver.consecutive(&teks[0], 2_937_888, 144)[143];
        last_rpis.push(last_rpi(&mut deriver));
        let per_second = rate(seconds, || {
            let mut fold = 0;
            for tek in &teks {
                fold ^= deriver.consecutive(tek, 2_937_888, 144)[143][0];
            }
            fold
        }) * teks.len() as f64
            * 144.0;
        console_log!(
            "dense RPI derivation, {name}: {:.1} million RPIs/s",
            per_second / 1e6
        );
        // What each key costs before its first block: HKDF and key schedule.
        let keys_per_second = rate(seconds, || {
            let mut fold = 0;
            for tek in &teks {
                fold ^= deriver.consecutive(tek, 2_937_888, 0).len() as u8;
            }
            fold
        }) * teks.len() as f64;
        console_log!(
            "    per key (HKDF and key schedule): {:.2} µs",
            1e6 / keys_per_second
        );
        if full && backend == AesBackend::fastest() {
            assert!(
                per_second >= 10e6,
                "{per_second} RPIs/s is below 10 million"
            );
        }
    }
    assert!(
        last_rpis.windows(2).all(|pair| pair[0] == pair[1]),
        "the backends disagree: {last_rpis:02x?}"
    );
}

// One test per log: the page cannot answer the test runner while a test
// runs, and ChromeDriver gives up on a page that is silent for 30 seconds.

#[test]
fn matching_speed_sparse_log() {
    matching_speed("sparse log", 7..22);
}

#[test]
fn matching_speed_dense_log() {
    matching_speed("dense log", 0..24);
}

fn matching_speed(log: &str, hours: std::ops::Range<u64>) {
    let full = full_size();
    let (days, keys_per_day) = if full { (14, 30_000) } else { (2, 100) };
    if full {
        // Untimed, so that V8 has optimised the code before the timed runs.
        let warm_up = simulate::scenario(2, 2_000, 500, 9, 0..24);
        match_keys(&warm_up.keys, &warm_up.log, &MatchOptions::at(warm_up.now))
            .expect("the log is valid");
    }
    let scenario = simulate::scenario(days, keys_per_day, 2_000, 3, hours);
    for strategy in MatchStrategy::ALL {
        let options = MatchOptions {
            strategy,
            ..MatchOptions::at(scenario.now)
        };
        let start = now();
        let matches =
            match_keys(&scenario.keys, &scenario.log, &options).expect("the log is valid");
        let elapsed = (now() - start) / 1000.0;
        console_log!(
            "match {days} days x {keys_per_day} keys against 2,000 beacons, {log}, \
             {strategy:?}: {elapsed:.2} s ({} keys checked, {} matched)",
            matches.keys_checked,
            matches.keys_matched
        );
        let mut found: Vec<usize> = matches
            .days
            .iter()
            .flat_map(|day| day.windows.iter().map(|window| window.key.index))
            .collect();
        found.sort_unstable();
        found.dedup();
        assert_eq!(
            found, scenario.keys_seen,
            "{log}, {strategy:?}: every key met is found, no other"
        );
        if full && strategy == MatchStrategy::Cheapest {
            assert!(elapsed < 5.0, "{log}: {elapsed} s is over 5 s");
        }
    }
}
