//! `/password`: the logged-in user changes their password; after a log-in
//! with an initial or reset password the portal leads here and the user
//! can do nothing else until it is done. The page checks the same rule as
//! the server ([`shared::portal::password_problem`]) before sending.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::portal::{ChangePasswordRequest, SessionInfo, password_problem};

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::components::focus::{focus_next_heading, heading_takes_focus};
use crate::i18n::{Lang, tr, use_lang};
use crate::session::{SessionState, home_of, use_session};

/// The password change's state: the three fields, the problem the page
/// found with the new password, the server's failure, whether a request
/// runs and whether the change is done.
#[derive(Clone, Copy)]
struct PasswordChange {
    session: RwSignal<SessionState>,
    lang: RwSignal<Lang>,
    current: RwSignal<String>,
    new: RwSignal<String>,
    repeat: RwSignal<String>,
    problem: RwSignal<Option<&'static str>>,
    error: RwSignal<Option<ApiError>>,
    busy: RwSignal<bool>,
    done: RwSignal<bool>,
}

impl PasswordChange {
    /// Empty fields, nothing done yet.
    fn new() -> Self {
        Self {
            session: use_session(),
            lang: use_lang(),
            current: RwSignal::new(String::new()),
            new: RwSignal::new(String::new()),
            repeat: RwSignal::new(String::new()),
            problem: RwSignal::new(None),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            done: RwSignal::new(false),
        }
    }

    /// Whether `chosen` may be sent for the user `name`: it follows the
    /// server's rule and the repetition matches; if not, `problem` says why.
    fn acceptable(self, name: &str, chosen: &str) -> bool {
        let language = self.lang.get_untracked();
        if let Some(found) = password_problem(name, chosen) {
            self.problem.set(Some(match language {
                Lang::De => found.german(),
                Lang::En => found.message(),
            }));
            return false;
        }
        if chosen != self.repeat.get_untracked() {
            self.problem.set(Some(language.pick(
                "Die beiden neuen Passwörter stimmen nicht überein.",
                "The two new passwords differ.",
            )));
            return false;
        }
        self.problem.set(None);
        true
    }

    /// Sends the change for the session `info`. Once changed, the session
    /// is updated, the fields emptied and the page says so; when this was
    /// the change required after the log-in, the answer is the role's home
    /// page to go on to.
    async fn send(self, info: SessionInfo, request: ChangePasswordRequest) -> Option<&'static str> {
        match api::change_password(&info.csrf_token, &request).await {
            Ok(updated) => {
                let first = info.password_change_required;
                let home = home_of(updated.role);
                self.session.set(SessionState::Active(updated));
                self.current.set(String::new());
                self.new.set(String::new());
                self.repeat.set(String::new());
                self.done.set(true);
                first.then_some(home)
            }
            Err(failure) => {
                self.error.set(Some(failure));
                None
            }
        }
    }
}

/// The password page: for the logged-in user, why the change is required
/// (after an initial or reset password), what came of the last attempt,
/// the rule and the form; for anybody else, a request to log in first.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let change = PasswordChange::new();
    let PasswordChange {
        session,
        problem,
        error,
        done,
        ..
    } = change;
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
                <PasswordForm change=change />
            </Show>
        </section>
    }
}

/// The form: current password, new password and its repetition. The new
/// one is checked here first; after the required first change the person
/// goes on to the role's home page, whose heading takes the focus.
#[component]
fn PasswordForm(change: PasswordChange) -> impl IntoView {
    let PasswordChange {
        session,
        current,
        new,
        repeat,
        error,
        busy,
        done,
        ..
    } = change;
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
        if !change.acceptable(&info.name, &chosen) {
            return;
        }
        busy.set(true);
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: chosen,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Some(home) = change.send(info, request).await {
                focus_next_heading();
                navigate(home, Default::default());
            }
            busy.set(false);
        });
    };
    let current_label = tr("Aktuelles Passwort", "Current password");
    let new_label = tr("Neues Passwort", "New password");
    let repeat_label = tr("Neues Passwort wiederholen", "Repeat the new password");
    let save = tr("Passwort speichern", "Save password");
    view! {
        <form class="form" on:submit=submit>
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
    }
}
