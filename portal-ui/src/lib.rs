//! The portal's browser code, built by trunk into two apps that share this
//! library: the staff portal (`src/main.rs`, `index.html`: log-in,
//! teleTANs, lab results, administration) and the public verifier
//! (`src/bin/verifier-ui.rs`, `verifier.html`: bundles, configuration and
//! risk, the phone in a tab). Each app links only the pages it routes, so
//! a hotline agent does not download the phone simulator and the verifier
//! does not carry the administration pages.
//!
//! Layout: [`app`] (routers and the shared page frame), `pages/` (one file
//! per route), `components/` (pieces used by several pages), [`api`] (the
//! HTTP client), [`i18n`] (German and English), [`session`] (the logged-in
//! user), [`worker`] (the verifier's Web Worker, seen from the page). The
//! verifier's checks are in the `verifier` crate and run in its worker.
//! Everything is compiled for wasm32 only.

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
pub mod app;
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

/// Mounts `app` on `<body>`.
#[cfg(target_arch = "wasm32")]
pub fn start<V: leptos::IntoView + 'static>(app: impl FnOnce() -> V + 'static) {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app);
}
