//! The portal's entry point: mounts the Leptos app on `<body>`.
//!
//! Layout: [`app`] (router and page frame), `pages/` (one file per route),
//! `components/` (pieces used by several pages), [`api`] (the HTTP client),
//! [`i18n`] (German and English), [`session`] (the logged-in user),
//! [`worker`] (the verifier's Web Worker, seen from the page).
//! The verifier's checks are in the `verifier` crate, shared with its worker.
//! Everything but this file is compiled for wasm32 only; trunk builds it
//! (`index.html` and `Trunk.toml` at the workspace root).

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod i18n;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
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
