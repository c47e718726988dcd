//! The page frame (header with navigation, language switch and log-out,
//! main area, footer) and the routes.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use shared::portal::Role;

use crate::i18n::{Lang, provide_lang, tr};
use crate::pages::admin::AdminPage;
use crate::pages::bundles::BundlesPage;
use crate::pages::lab::LabPage;
use crate::pages::landing::Landing;
use crate::pages::login::Login;
use crate::pages::not_found::NotFound;
use crate::pages::phone::PhonePage;
use crate::pages::risk::RiskPage;
use crate::pages::teletan::TeleTanPage;
use crate::session::{SessionState, provide_session};

/// The whole portal.
#[component]
pub fn App() -> impl IntoView {
    let lang = provide_lang();
    let session = provide_session();
    // The document's language follows the switch (screen readers use it).
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.get().code());
        }
    });
    let skip = tr("Zum Inhalt springen", "Skip to content");
    let footer = tr(
        "Warn: ein offener Dienst für Warnungen nach dem Apple/Google-Exposure-Notification-Verfahren.",
        "Warn: an open service for warnings with the Apple/Google Exposure Notification scheme.",
    );
    view! {
        <Router>
            <a class="skip-link" href="#main">{skip}</a>
            <header class="site-header">
                <a class="site-header__brand" href="/">"Warn"</a>
                <span class="site-header__tagline">"Portal"</span>
                <Navigation session=session />
                <LanguageSwitch lang=lang />
            </header>
            <main id="main" class="page" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Landing />
                    <Route path=path!("/login") view=Login />
                    <Route path=path!("/teletan") view=TeleTanPage />
                    <Route path=path!("/admin") view=AdminPage />
                    <Route path=path!("/lab") view=LabPage />
                    <Route path=path!("/bundles") view=BundlesPage />
                    <Route path=path!("/risk") view=RiskPage />
                    <Route path=path!("/phone") view=PhonePage />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>{footer}</p>
            </footer>
        </Router>
    }
}

#[component]
fn Navigation(session: RwSignal<SessionState>) -> impl IntoView {
    let log_in = tr("Anmelden", "Log in");
    let log_out = tr("Abmelden", "Log out");
    let teletan = tr("teleTAN", "teleTAN");
    let admin = tr("Administration", "Administration");
    let label = tr("Hauptnavigation", "Main navigation");
    let lab = tr("Labor", "Lab");
    let log_out_everywhere = tr("Überall abmelden", "Log out everywhere");
    let logout_everywhere = move |_| {
        let Some(csrf) = session.with_untracked(SessionState::csrf) else {
            return;
        };
        spawn_local(async move {
            // Ends every session of this user, on every device.
            let _ = crate::api::logout_everywhere(&csrf).await;
            session.set(SessionState::Anonymous);
            let _ = window().location().set_href("/login");
        });
    };
    let bundles = tr("Pakete prüfen", "Check bundles");
    let risk = tr("Risiko", "Risk");
    let phone = tr("Telefon", "Phone");
    let logout = move |_| {
        let Some(csrf) = session.with_untracked(SessionState::csrf) else {
            return;
        };
        spawn_local(async move {
            // Whatever the server says, this page forgets the session.
            let _ = crate::api::logout(&csrf).await;
            session.set(SessionState::Anonymous);
            let _ = window().location().set_href("/login");
        });
    };
    view! {
        <nav class="site-nav" aria-label=label>
            <a href="/bundles">{bundles}</a>
            <a href="/risk">{risk}</a>
            <a href="/phone">{phone}</a>
            {move || match session.get() {
                SessionState::Active(info) => {
                    let issues = matches!(info.role, Role::Hotline | Role::HealthOfficer);
                    let administers = info.role == Role::Admin;
                    let uploads = info.role == Role::Lab;
                    view! {
                        <Show when=move || issues>
                            <a href="/teletan">{teletan}</a>
                        </Show>
                        <Show when=move || administers>
                            <a href="/admin">{admin}</a>
                        </Show>
                        <Show when=move || uploads>
                            <a href="/lab">{lab}</a>
                        </Show>
                        <span class="site-nav__user">{info.name.clone()}</span>
                        <button class="button button--link" on:click=logout>{log_out}</button>
                        <button class="button button--link" on:click=logout_everywhere>{log_out_everywhere}</button>
                    }
                    .into_any()
                }
                _ => view! { <a href="/login">{log_in}</a> }.into_any(),
            }}
        </nav>
    }
}

#[component]
fn LanguageSwitch(lang: RwSignal<Lang>) -> impl IntoView {
    let label = tr("Sprache", "Language");
    view! {
        <div class="lang-switch" role="group" aria-label=label>
            <button
                class="button button--link"
                lang="de"
                aria-pressed=move || (lang.get() == Lang::De).to_string()
                on:click=move |_| lang.set(Lang::De)
            >
                "Deutsch"
            </button>
            <button
                class="button button--link"
                lang="en"
                aria-pressed=move || (lang.get() == Lang::En).to_string()
                on:click=move |_| lang.set(Lang::En)
            >
                "English"
            </button>
        </div>
    }
}
