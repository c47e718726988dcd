//! The staff portal (`index.html`): log-in, teleTANs, lab results,
//! administration. The pages live in the library (`src/lib.rs`).

#[cfg(target_arch = "wasm32")]
fn main() {
    portal_ui::start(portal_ui::app::PortalApp);
}

/// On the host there is nothing to run; the crate only builds so that
/// workspace-wide `cargo` commands work.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "portal-ui runs in the browser: build it with `trunk build` (see `cargo xtask run`)."
    );
    std::process::exit(2);
}
