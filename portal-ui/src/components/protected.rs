//! A page only some roles may see. The server checks every request itself;
//! this only spares the user a page that could do nothing.

use leptos::prelude::*;
use shared::portal::Role;

use crate::i18n::tr;
use crate::session::{SessionState, use_session};

/// Shows `children` to a logged-in user of one of `roles`; otherwise says
/// why not.
#[component]
pub fn Protected(roles: &'static [Role], children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let loading = tr("Sitzung wird geprüft …", "Checking the session …");
    let log_in_first = tr("Bitte melden Sie sich zuerst an.", "Please log in first.");
    let log_in = tr("Zur Anmeldung", "Log in");
    let denied_title = tr("Kein Zugriff", "No access");
    let change_first = tr(
        "Bitte wählen Sie zuerst ein eigenes Passwort.",
        "Please choose your own password first.",
    );
    let change = tr("Passwort ändern", "Change password");
    let denied = tr(
        "Ihre Rolle darf diese Seite nicht öffnen.",
        "Your role may not open this page.",
    );
    move || match session.get() {
        SessionState::Unknown => view! { <p role="status">{loading}</p> }.into_any(),
        SessionState::Anonymous => view! {
            <section class="card">
                <p>{log_in_first}</p>
                <p><a href="/login">{log_in}</a></p>
            </section>
        }
        .into_any(),
        SessionState::Active(info) if info.password_change_required => view! {
            <section class="card">
                <p>{change_first}</p>
                <p><a href="/password">{change}</a></p>
            </section>
        }
        .into_any(),
        SessionState::Active(info) if roles.contains(&info.role) => children().into_any(),
        SessionState::Active(_) => view! {
            <section class="card" aria-labelledby="denied-title">
                <h1 id="denied-title">{denied_title}</h1>
                <p>{denied}</p>
            </section>
        }
        .into_any(),
    }
}
