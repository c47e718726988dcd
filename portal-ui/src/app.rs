//! The page frame (header, main area, footer) and the routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::landing::Landing;
use crate::pages::not_found::NotFound;

/// The whole portal.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Zum Inhalt springen"</a>
            <header class="site-header">
                <a class="site-header__brand" href="/">"Warn"</a>
                <span class="site-header__tagline">"Portal"</span>
            </header>
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Landing />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>
                    "Warn: ein offener Dienst für Warnungen nach dem Apple/Google-Exposure-Notification-Verfahren."
                </p>
            </footer>
        </Router>
    }
}
