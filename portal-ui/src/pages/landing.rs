//! `/`: what the service is and whether the server answers.

use leptos::prelude::*;

use crate::components::server_status::ServerStatus;
use crate::i18n::tr;

/// The start page.
#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <section class="hero" aria-labelledby="page-title">
            <h1 id="page-title">"Warn"</h1>
            <p class="hero__subtitle">
                {tr(
                    "Corona-Warn-Dienst: Verifikation, Testergebnisse, Schlüsselverteilung",
                    "Corona warning service: verification, test results, key distribution",
                )}
            </p>
        </section>

        <section class="card" aria-labelledby="services-title">
            <h2 id="services-title">{tr("Was der Dienst bietet", "What the service offers")}</h2>
            <ul class="services">
                <li>
                    <strong>{tr("Verifikation", "Verification")}</strong>
                    {tr(
                        " – Tests per QR-Code registrieren, teleTANs für die Hotline ausgeben, TANs für die Warnung erteilen.",
                        " – register tests by QR code, issue teleTANs for the hotline, grant TANs for warning others.",
                    )}
                </li>
                <li>
                    <strong>{tr("Testergebnisse", "Test results")}</strong>
                    {tr(
                        " – Labore übermitteln Ergebnisse; die App fragt sie anonym ab.",
                        " – labs send results; the app asks for them anonymously.",
                    )}
                </li>
                <li>
                    <strong>{tr("Schlüsselverteilung", "Key distribution")}</strong>
                    {tr(
                        " – Schlüssel positiv Getesteter werden stündlich als signierte Pakete verteilt.",
                        " – the keys of people who tested positive are published hourly as signed bundles.",
                    )}
                </li>
                <li>
                    <strong>{tr("Prüfung im Browser", "Checks in the browser")}</strong>
                    {tr(
                        " – Signaturen und Risikoberechnung mit demselben Rust-Code wie auf dem Server.",
                        " – signatures and risk calculation with the same Rust code as on the server.",
                    )}
                </li>
            </ul>
        </section>

        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">{tr("Serverstatus", "Server status")}</h2>
            <ServerStatus />
        </section>
    }
}
