//! Fuzz target `efgs_signature`: see `warn_fuzz::efgs_signature`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::efgs_signature(data));
