//! Every path no route claims.

use leptos::prelude::*;

/// Shown for unknown paths; the server answers them with the app, so the
/// browser says what happened instead of showing a bare 404.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="not-found-title">
            <h1 id="not-found-title">"Seite nicht gefunden"</h1>
            <p>"Diese Adresse gibt es im Portal nicht."</p>
            <p>
                <a href="/" rel="external">"Zur Startseite"</a>
            </p>
        </section>
    }
}
