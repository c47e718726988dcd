//! The two apps' routes and their common page frame (header with
//! navigation, language switch and log-out, main area, footer).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use shared::portal::Role;

use crate::i18n::{Lang, choose, provide_lang, tr};
use crate::pages::admin::{
    AdminAuditPage, AdminLabsPage, AdminPage, AdminStatisticsPage, AdminUsersPage,
};
use crate::pages::bundles::BundlesPage;
use crate::pages::lab::LabPage;
use crate::pages::landing::Landing;
use crate::pages::login::Login;
use crate::pages::not_found::NotFound;
use crate::pages::password::PasswordPage;
use crate::pages::phone::PhonePage;
use crate::pages::risk::RiskPage;
use crate::pages::teletan::TeleTanPage;
use crate::session::{SessionState, provide_session};

/// Which of the two apps a page belongs to: links to the other one load
/// it from the server (`rel="external"`) instead of routing in this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The staff portal (`index.html`).
    Portal,
    /// The public verifier (`verifier.html`).
    Verifier,
}

/// The staff portal: log-in, teleTANs, lab results, administration.
#[component]
pub fn PortalApp() -> impl IntoView {
    view! {
        <Frame part=Part::Portal>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Landing />
                <Route path=path!("/login") view=Login />
                <Route path=path!("/teletan") view=TeleTanPage />
                <Route path=path!("/admin") view=AdminPage />
                <Route path=path!("/admin/users") view=AdminUsersPage />
                <Route path=path!("/admin/labs") view=AdminLabsPage />
                <Route path=path!("/admin/statistics") view=AdminStatisticsPage />
                <Route path=path!("/admin/audit") view=AdminAuditPage />
                <Route path=path!("/lab") view=LabPage />
                <Route path=path!("/password") view=PasswordPage />
            </Routes>
        </Frame>
    }
}

/// The public verifier: bundles, configuration and risk, the phone in a tab.
#[component]
pub fn VerifierApp() -> impl IntoView {
    view! {
        <Frame part=Part::Verifier>
            <Routes fallback=NotFound>
                <Route path=path!("/bundles") view=BundlesPage />
                <Route path=path!("/risk") view=RiskPage />
                <Route path=path!("/phone") view=PhonePage />
            </Routes>
        </Frame>
    }
}

/// The page frame of both apps around their routes.
#[component]
fn Frame(part: Part, children: Children) -> impl IntoView {
    let lang = provide_lang();
    let session = provide_session(part == Part::Portal);
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
    let tagline = match part {
        Part::Portal => "Portal",
        Part::Verifier => "Prüfung",
    };
    view! {
        <Router>
            <a class="skip-link" href="#main">{skip}</a>
            <header class="site-header">
                <a class="site-header__brand" href="/" rel=external(part, Part::Portal)>"Warn"</a>
                <span class="site-header__tagline">{tagline}</span>
                <Navigation session=session part=part />
                <LanguageSwitch lang=lang />
            </header>
            <main id="main" class="page" tabindex="-1">
                {children()}
            </main>
            <footer class="site-footer">
                <p>{footer}</p>
            </footer>
        </Router>
    }
}

/// `rel` of a link from `here` to a page of `to`.
fn external(here: Part, to: Part) -> Option<&'static str> {
    (here != to).then_some("external")
}

#[component]
fn Navigation(session: RwSignal<SessionState>, part: Part) -> impl IntoView {
    let log_in = tr("Anmelden", "Log in");
    let log_out = tr("Abmelden", "Log out");
    let teletan = tr("teleTAN", "teleTAN");
    let admin = tr("Administration", "Administration");
    let label = tr("Hauptnavigation", "Main navigation");
    let lab = tr("Labor", "Lab");
    let password = tr("Passwort", "Password");
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
    let verifier = external(part, Part::Verifier);
    let portal = external(part, Part::Portal);
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
            <a href="/bundles" rel=verifier>{bundles}</a>
            <a href="/risk" rel=verifier>{risk}</a>
            <a href="/phone" rel=verifier>{phone}</a>
            {move || match session.get() {
                SessionState::Active(info) => {
                    let issues = matches!(info.role, Role::Hotline | Role::HealthOfficer);
                    let administers = info.role == Role::Admin;
                    let uploads = info.role == Role::Lab;
                    view! {
                        <Show when=move || issues>
                            <a href="/teletan" rel=portal>{teletan}</a>
                        </Show>
                        <Show when=move || administers>
                            <a href="/admin" rel=portal>{admin}</a>
                        </Show>
                        <Show when=move || uploads>
                            <a href="/lab" rel=portal>{lab}</a>
                        </Show>
                        <a href="/password" rel=portal>{password}</a>
                        <span class="site-nav__user">{info.name.clone()}</span>
                        <button class="button button--link" on:click=logout>{log_out}</button>
                        <button class="button button--link" on:click=logout_everywhere>{log_out_everywhere}</button>
                    }
                    .into_any()
                }
                _ => view! { <a href="/login" rel=portal>{log_in}</a> }.into_any(),
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
                on:click=move |_| choose(lang, Lang::De)
            >
                "Deutsch"
            </button>
            <button
                class="button button--link"
                lang="en"
                aria-pressed=move || (lang.get() == Lang::En).to_string()
                on:click=move |_| choose(lang, Lang::En)
            >
                "English"
            </button>
        </div>
    }
}
