//! Fuzz target `efgs_batch`: see `warn_fuzz::efgs_batch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::efgs_batch(data));
