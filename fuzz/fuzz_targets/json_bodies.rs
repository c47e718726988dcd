//! Fuzz target `json_bodies`: see `warn_fuzz::json_bodies`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::json_bodies(data));
