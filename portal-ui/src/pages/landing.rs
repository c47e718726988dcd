//! `/`: what the service is and whether the server answers.

use leptos::prelude::*;

use crate::components::server_status::ServerStatus;

/// The start page.
#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <section class="hero" aria-labelledby="page-title">
            <h1 id="page-title">"Warn"</h1>
            <p class="hero__subtitle">
                "Corona-Warn-Dienst: Verifikation, Testergebnisse, Schlüsselverteilung"
            </p>
        </section>

        <section class="card" aria-labelledby="services-title">
            <h2 id="services-title">"Was der Dienst bietet"</h2>
            <ul class="services">
                <li>
                    <strong>"Verifikation"</strong>
                    " – Tests per QR-Code registrieren, teleTANs für die Hotline ausgeben, TANs für die Warnung erteilen."
                </li>
                <li>
                    <strong>"Testergebnisse"</strong>
                    " – Labore übermitteln Ergebnisse; die App fragt sie anonym ab."
                </li>
                <li>
                    <strong>"Schlüsselverteilung"</strong>
                    " – Schlüssel positiv Getesteter werden stündlich als signierte Pakete verteilt."
                </li>
                <li>
                    <strong>"Prüfung im Browser"</strong>
                    " – Signaturen und Risikoberechnung mit demselben Rust-Code wie auf dem Server."
                </li>
            </ul>
        </section>

        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">"Serverstatus"</h2>
            <ServerStatus />
        </section>
    }
}
