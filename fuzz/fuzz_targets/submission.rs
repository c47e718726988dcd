//! Fuzz target `submission`: see `warn_fuzz::submission`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::submission(data));
