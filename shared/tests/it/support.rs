//! Helpers shared by the test modules.

/// A published test file, read in place at compile time (so the same bytes
/// reach the browser), or `None` when the test data is absent: the caller
/// then skips, which [`skip`] makes an error under `CI=true`.
#[macro_export]
macro_rules! testdata {
    ($path:literal) => {{
        #[cfg(warn_testdata)]
        let data: Option<&'static [u8]> = Some(include_bytes!(concat!(
            env!("WARN_TESTDATA_DIR"),
            "/",
            $path
        )));
        #[cfg(not(warn_testdata))]
        let data: Option<&'static [u8]> = None;
        data
    }};
}

/// Reports a skipped test; panics when `CI=true` was set at build time,
/// since nothing may skip in CI.
pub fn skip(what: &str) {
    if option_env!("CI") == Some("true") {
        panic!("{what}: test data missing under CI=true");
    }
    eprintln!("skipped {what}: ../shared/testdata not found (set WARN_TESTDATA)");
}
