//! Finds the published test data (`../shared/testdata` beside the checkout,
//! or `WARN_TESTDATA`) for the tests, which read it in place: natively and,
//! through `include_bytes!`, in the browser.
//!
//! When found, sets `cfg(warn_testdata)` and `WARN_TESTDATA_DIR`; tests that
//! need the data skip themselves without it (and fail under `CI=true`).

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(warn_testdata)");
    println!("cargo::rerun-if-env-changed=WARN_TESTDATA");
    let dir = std::env::var_os("WARN_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let manifest =
                PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
            manifest.join("../../shared/testdata")
        });
    println!("cargo::rerun-if-changed={}", dir.display());
    if let Ok(dir) = dir.canonicalize() {
        println!("cargo::rustc-cfg=warn_testdata");
        println!("cargo::rustc-env=WARN_TESTDATA_DIR={}", dir.display());
    }
}
