//! `/admin` and its pages, each its own route under one sub-navigation:
//! an index (`/admin`), users and roles (`/admin/users`,
//! [`super::admin_users`]), lab API keys (`/admin/labs`,
//! [`super::admin_labs`]), statistics (`/admin/statistics`,
//! [`super::stats`]) and the audit log (`/admin/audit`,
//! [`super::admin_audit`]).

use leptos::prelude::*;
use shared::portal::Role;

use crate::components::focus::{focus_next_heading, heading_takes_focus};
use crate::components::protected::Protected;
use crate::i18n::{Lang, tr, use_lang};
use crate::pages::admin_audit::AuditLog;
use crate::pages::admin_labs::LabKeys;
use crate::pages::admin_users::Users;
use crate::pages::stats::Statistics;

const ADMINS: &[Role] = &[Role::Admin];

/// The administration's pages, in the order of the sub-navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Overview,
    Users,
    Labs,
    Statistics,
    Audit,
}

impl Section {
    const ALL: [Self; 5] = [
        Self::Overview,
        Self::Users,
        Self::Labs,
        Self::Statistics,
        Self::Audit,
    ];

    fn path(self) -> &'static str {
        match self {
            Self::Overview => "/admin",
            Self::Users => "/admin/users",
            Self::Labs => "/admin/labs",
            Self::Statistics => "/admin/statistics",
            Self::Audit => "/admin/audit",
        }
    }

    fn name(self, lang: Lang) -> &'static str {
        match self {
            Self::Overview => lang.pick("Übersicht", "Overview"),
            Self::Users => lang.pick("Benutzer", "Users"),
            Self::Labs => lang.pick("Labor-API-Schlüssel", "Lab API keys"),
            Self::Statistics => lang.pick("Statistik", "Statistics"),
            Self::Audit => lang.pick("Audit-Log", "Audit log"),
        }
    }

    /// What the page is for, on the index.
    fn summary(self, lang: Lang) -> &'static str {
        match self {
            Self::Overview => "",
            Self::Users => lang.pick(
                "anlegen, sperren, zweiten Faktor oder Passwort zurücksetzen",
                "create, disable, reset a second factor or a password",
            ),
            Self::Labs => lang.pick(
                "Schlüssel für Labore erzeugen und sperren",
                "create and disable the keys of labs",
            ),
            Self::Statistics => lang.pick(
                "teleTANs, Registrierungen, Ergebnisse, Schlüssel und Pakete der letzten 30 Tage",
                "teleTANs, registrations, results, keys and bundles of the last 30 days",
            ),
            Self::Audit => lang.pick(
                "wer wann was getan hat, nach Aktion und Benutzer gefiltert",
                "who did what when, filtered by action and user",
            ),
        }
    }
}

/// A link to another administration page: its heading takes the focus
/// when it appears (the link itself is gone then).
fn section_link(section: Section, current: Option<Section>, lang: RwSignal<Lang>) -> impl IntoView {
    let here = current == Some(section);
    view! {
        <a href=section.path() aria-current=here.then_some("page")
            on:click=move |_| {
                if !here {
                    focus_next_heading();
                }
            }>
            {move || section.name(lang.get())}
        </a>
    }
}

/// The administration's sub-navigation; `current` is marked.
#[component]
fn AdminNav(current: Section) -> impl IntoView {
    let lang = use_lang();
    let label = tr("Bereiche der Administration", "Administration sections");
    view! {
        <nav class="sub-nav" aria-label=label>
            {Section::ALL
                .into_iter()
                .map(|section| section_link(section, Some(current), lang))
                .collect_view()}
        </nav>
    }
}

/// `/admin`: one line per page of the administration.
#[component]
pub fn AdminPage() -> impl IntoView {
    let lang = use_lang();
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Administration", "Administration");
    view! {
        <Protected roles=ADMINS>
            <AdminNav current=Section::Overview />
            <section class="card" aria-labelledby="admin-title">
                <h1 id="admin-title" tabindex="-1" node_ref=heading>{title}</h1>
                <ul class="services">
                    {Section::ALL[1..]
                        .iter()
                        .map(|&section| view! {
                            <li>
                                {section_link(section, None, lang)}
                                ": " {move || section.summary(lang.get())}
                            </li>
                        })
                        .collect_view()}
                </ul>
            </section>
        </Protected>
    }
}

/// `/admin/users`.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    view! {
        <Protected roles=ADMINS>
            <AdminNav current=Section::Users />
            <Users />
        </Protected>
    }
}

/// `/admin/labs`.
#[component]
pub fn AdminLabsPage() -> impl IntoView {
    view! {
        <Protected roles=ADMINS>
            <AdminNav current=Section::Labs />
            <LabKeys />
        </Protected>
    }
}

/// `/admin/statistics`.
#[component]
pub fn AdminStatisticsPage() -> impl IntoView {
    view! {
        <Protected roles=ADMINS>
            <AdminNav current=Section::Statistics />
            <Statistics />
        </Protected>
    }
}

/// `/admin/audit`.
#[component]
pub fn AdminAuditPage() -> impl IntoView {
    view! {
        <Protected roles=ADMINS>
            <AdminNav current=Section::Audit />
            <AuditLog />
        </Protected>
    }
}
