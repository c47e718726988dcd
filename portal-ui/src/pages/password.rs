//! `/password`: the logged-in user changes their password; after a log-in
//! with an initial or reset password the portal leads here and the user
//! can do nothing else until it is done. The page checks the same rule as
//! the server ([`shared::portal::password_problem`]) before sending.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::portal::{ChangePasswordRequest, password_problem};

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::components::focus::{focus_next_heading, heading_takes_focus};
use crate::i18n::{Lang, tr, use_lang};
use crate::session::{SessionState, home_of, use_session};

/// The password page.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(false);
    let navigate = use_navigate();

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(info) = session.with_untracked(|state| state.info().cloned()) else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        done.set(false);
        let chosen = new.get_untracked();
        let language = lang.get_untracked();
        if let Some(found) = password_problem(&info.name, &chosen) {
            problem.set(Some(match language {
                Lang::De => found.german(),
                Lang::En => found.message(),
            }));
            return;
        }
        if chosen != repeat.get_untracked() {
            problem.set(Some(language.pick(
                "Die beiden neuen Passwörter stimmen nicht überein.",
                "The two new passwords differ.",
            )));
            return;
        }
        problem.set(None);
        busy.set(true);
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: chosen,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::change_password(&info.csrf_token, &request).await {
                Ok(updated) => {
                    let first = info.password_change_required;
                    let home = home_of(updated.role);
                    session.set(SessionState::Active(updated));
                    current.set(String::new());
                    new.set(String::new());
                    repeat.set(String::new());
                    done.set(true);
                    if first {
                        focus_next_heading();
                        navigate(home, Default::default());
                    }
                }
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    };

    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Passwort ändern", "Change password");
    let required = tr(
        "Sie haben sich mit einem Erst- oder Einmalpasswort angemeldet. Wählen Sie ein eigenes Passwort, bevor Sie weiterarbeiten.",
        "You logged in with an initial or one-time password. Choose your own password before you continue.",
    );
    let rule = tr(
        "Mindestens 12 Zeichen, mindestens 5 verschiedene, nicht Ihr Benutzername. Ein langer Satz ist ein gutes Passwort.",
        "At least 12 characters, at least 5 different ones, not your user name. A long sentence makes a good password.",
    );
    let current_label = tr("Aktuelles Passwort", "Current password");
    let new_label = tr("Neues Passwort", "New password");
    let repeat_label = tr("Neues Passwort wiederholen", "Repeat the new password");
    let save = tr("Passwort speichern", "Save password");
    let saved = tr(
        "Das Passwort wurde geändert. Ihre anderen Sitzungen wurden beendet.",
        "The password was changed. Your other sessions were ended.",
    );
    let log_in_first = tr("Bitte melden Sie sich zuerst an.", "Please log in first.");
    let must_change = move || {
        session.with(|state| {
            state
                .info()
                .is_some_and(|info| info.password_change_required)
        })
    };

    view! {
        <section class="card card--narrow" aria-labelledby="password-title">
            <h1 id="password-title" tabindex="-1" node_ref=heading>{title}</h1>
            <Show when=move || session.with(|state| state.info().is_some())
                fallback=move || view! { <p>{log_in_first}</p> }>
                <Show when=must_change>
                    <p class="alert alert--info" role="status">{required}</p>
                </Show>
                <Show when=move || done.get()>
                    <p class="alert alert--info" role="status">{saved}</p>
                </Show>
                <ErrorLine error=error />
                {move || problem.get().map(|text| view! {
                    <p class="alert alert--error" role="alert">{text}</p>
                })}
                <p id="password-rule">{rule}</p>
                <form class="form" on:submit=submit.clone()>
                    <label for="password-current">{current_label}</label>
                    <input
                        id="password-current"
                        type="password"
                        autocomplete="current-password"
                        required
                        prop:value=move || current.get()
                        on:input=move |ev| current.set(event_target_value(&ev))
                    />
                    <label for="password-new">{new_label}</label>
                    <input
                        id="password-new"
                        type="password"
                        autocomplete="new-password"
                        aria-describedby="password-rule"
                        required
                        prop:value=move || new.get()
                        on:input=move |ev| new.set(event_target_value(&ev))
                    />
                    <label for="password-repeat">{repeat_label}</label>
                    <input
                        id="password-repeat"
                        type="password"
                        autocomplete="new-password"
                        required
                        prop:value=move || repeat.get()
                        on:input=move |ev| repeat.set(event_target_value(&ev))
                    />
                    <button type="submit" class="button button--primary" disabled=move || busy.get()>
                        {save}
                    </button>
                </form>
            </Show>
        </section>
    }
}
