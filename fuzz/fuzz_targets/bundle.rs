//! Fuzz target `bundle`: see `warn_fuzz::bundle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::bundle(data));
