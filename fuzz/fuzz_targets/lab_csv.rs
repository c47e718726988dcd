//! Fuzz target `lab_csv`: see `warn_fuzz::lab_csv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warn_fuzz::lab_csv(data));
