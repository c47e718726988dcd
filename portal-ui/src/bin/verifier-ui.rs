//! The public verifier (`verifier.html`, served for `/bundles`, `/risk` and
//! `/phone`): checks what the server publishes, in the browser. The pages
//! live in the library (`src/lib.rs`); the checks run in the verifier's
//! Web Worker.

#[cfg(target_arch = "wasm32")]
fn main() {
    portal_ui::start(portal_ui::app::VerifierApp);
}

/// On the host there is nothing to run (see `src/main.rs`).
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "verifier-ui runs in the browser: build it with `trunk build verifier.html` (see `cargo xtask run`)."
    );
    std::process::exit(2);
}
