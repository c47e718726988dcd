//! Fuzz target `app_config`: see `warn_fuzz::app_config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::app_config(data));
