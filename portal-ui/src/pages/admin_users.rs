//! `/admin/users`: users and roles. Create; enable; disable, reset the
//! second factor or the password, each after a question that names the
//! user (Cancel is the default answer).

use leptos::prelude::*;
use shared::portal::{CreateUserRequest, Role, UserSummary};

use crate::api;
use crate::components::confirm::{Question, confirm_dialog, focus_id};
use crate::components::error_line::ErrorLine;
use crate::components::focus::heading_takes_focus;
use crate::components::managed::{Managed, shown_once, table_rows};
use crate::i18n::{Lang, tr, use_lang};

fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Hotline => lang.pick("Hotline", "Hotline"),
        Role::HealthOfficer => lang.pick("Gesundheitsamt", "Health officer"),
        Role::Lab => lang.pick("Labor", "Lab"),
        Role::Admin => lang.pick("Administration", "Administrator"),
    }
}

/// A change to a user that is asked about first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Disable,
    ResetTotp,
    ResetPassword,
}

impl Change {
    /// The id of the row's button that asks (the focus returns there
    /// after Cancel).
    fn button_id(self, user: i64) -> String {
        let what = match self {
            Self::Disable => "disable",
            Self::ResetTotp => "totp",
            Self::ResetPassword => "password",
        };
        format!("user-{user}-{what}")
    }

    fn question(self, name: &str, lang: Lang) -> Question {
        let (title, text, yes) = match (self, lang) {
            (Self::Disable, Lang::De) => (
                format!("Benutzer „{name}“ sperren?"),
                format!("{name} kann sich nicht mehr anmelden; laufende Sitzungen enden sofort."),
                "Ja, sperren",
            ),
            (Self::Disable, Lang::En) => (
                format!("Disable user “{name}”?"),
                format!("{name} can no longer log in; their sessions end at once."),
                "Yes, disable",
            ),
            (Self::ResetTotp, Lang::De) => (
                format!("Zweiten Faktor von „{name}“ zurücksetzen?"),
                format!("{name} muss beim nächsten Anmelden die Authenticator-App neu einrichten."),
                "Ja, zurücksetzen",
            ),
            (Self::ResetTotp, Lang::En) => (
                format!("Reset the second factor of “{name}”?"),
                format!("{name} must set up the authenticator app again at the next log-in."),
                "Yes, reset",
            ),
            (Self::ResetPassword, Lang::De) => (
                format!("Passwort von „{name}“ zurücksetzen?"),
                format!(
                    "{name} bekommt ein Einmalpasswort, das nur jetzt angezeigt wird; laufende Sitzungen enden."
                ),
                "Ja, zurücksetzen",
            ),
            (Self::ResetPassword, Lang::En) => (
                format!("Reset the password of “{name}”?"),
                format!("{name} gets a one-time password, shown only now; their sessions end."),
                "Yes, reset",
            ),
        };
        Question {
            title,
            text,
            yes,
            cancel: lang.pick("Abbrechen", "Cancel"),
        }
    }
}

/// Sends a change of the user `id` that needs no answer (`what`: "enable",
/// "disable" or "reset-totp"); the list is loaded again.
fn change_user(managed: Managed, id: i64, what: &'static str) {
    managed.change(
        move |csrf| async move { api::change_user(&csrf, id, what).await },
        |_| (),
    );
}

/// Carries out a confirmed `change` of the user `id`; a password reset's
/// one-time password goes to `created`, to be shown once.
fn carry_out(
    managed: Managed,
    created: RwSignal<Option<(String, String)>>,
    id: i64,
    change: Change,
) {
    match change {
        Change::Disable => change_user(managed, id, "disable"),
        Change::ResetTotp => change_user(managed, id, "reset-totp"),
        Change::ResetPassword => managed.change(
            move |csrf| async move { api::reset_password(&csrf, id).await },
            move |answer| created.set(Some((answer.user.name, answer.one_time_password))),
        ),
    }
}

/// The users list, the question before a change, the form for a new user.
#[component]
pub fn Users() -> impl IntoView {
    let lang = use_lang();
    let managed = Managed::from_context();
    let users = managed.load(api::users);
    // The name and initial (or one-time) password to show once.
    let created = RwSignal::new(None::<(String, String)>);
    // The change asked about now: user id, name, change.
    let asked = RwSignal::new(None::<(i64, String, Change)>);
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);

    let answer = move |yes: bool| {
        let Some((id, _, change)) = asked.get_untracked() else {
            return;
        };
        asked.set(None);
        if !yes {
            focus_id(&change.button_id(id));
            return;
        }
        carry_out(managed, created, id, change);
        // The row is drawn again; the heading is a stable place to go on from.
        if let Some(heading) = heading.get_untracked() {
            let _ = heading.focus();
        }
    };
    let ask = move |id: i64, user: String, change: Change| {
        created.set(None);
        asked.set(Some((id, user, change)));
    };

    let title = tr("Benutzer", "Users");
    let role_label = tr("Rolle", "Role");
    let password_note = tr(
        "Erst- bzw. Einmalpasswort, beim ersten Anmelden zu ändern (wird nur jetzt angezeigt)",
        "Initial or one-time password, to be changed at the first log-in (shown only now)",
    );
    let col_name = tr("Name", "Name");
    let col_state = tr("Status", "State");
    let col_actions = tr("Aktionen", "Actions");

    let rows = move || {
        table_rows(users.get(), lang.get(), 4, |user| {
            user_row(user, lang, ask, move |id| {
                change_user(managed, id, "enable")
            })
        })
    };

    view! {
        <section class="card" aria-labelledby="users-title">
            <h1 id="users-title" tabindex="-1" node_ref=heading>{title}</h1>
            <ErrorLine error=managed.error />
            {move || created.get().map(|(user, password)| {
                shown_once(password_note, user, password, "initial password")
            })}
            <table class="table table--stack">
                <thead>
                    <tr>
                        <th scope="col">{col_name}</th>
                        <th scope="col">{role_label}</th>
                        <th scope="col">{col_state}</th>
                        <th scope="col">{col_actions}</th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| ()>{rows}</Transition>
                </tbody>
            </table>
            {move || asked.get().map(|(_, user, change)| {
                confirm_dialog("user-confirm", change.question(&user, lang.get()), answer)
            })}
            <NewUser managed=managed created=created />
        </section>
    }
}

/// The form for a new user: name and role. The server's initial password
/// goes to `created`, to be shown once, and the name field is emptied.
#[component]
fn NewUser(managed: Managed, created: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let lang = use_lang();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Hotline);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = CreateUserRequest {
            name: name.get_untracked(),
            role: role.get_untracked(),
        };
        managed.change(
            move |csrf| async move { api::create_user(&csrf, &request).await },
            move |answer| {
                created.set(Some((answer.user.name, answer.initial_password)));
                name.set(String::new());
            },
        );
    };
    let new_title = tr("Neuer Benutzer", "New user");
    let name_label = tr("Benutzername", "User name");
    let role_label = tr("Rolle", "Role");
    let create_label = tr("Anlegen", "Create");
    view! {
        <h2>{new_title}</h2>
        <form class="form" on:submit=create>
            <label for="new-user-name">{name_label}</label>
            <input
                id="new-user-name"
                type="text"
                required
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <label for="new-user-role">{role_label}</label>
            <select
                id="new-user-role"
                on:change=move |ev| {
                    if let Some(chosen) = Role::parse(&event_target_value(&ev)) {
                        role.set(chosen);
                    }
                }
            >
                {Role::ALL
                    .into_iter()
                    .map(|option| view! {
                        <option value=option.as_str() selected=move || role.get() == option>
                            {move || role_name(option, lang.get())}
                        </option>
                    })
                    .collect_view()}
            </select>
            <button type="submit">{create_label}</button>
        </form>
    }
}

/// One user's row; `ask` puts a change to the question, `enable` needs
/// none (it takes nothing away).
fn user_row(
    user: UserSummary,
    lang: RwSignal<Lang>,
    ask: impl Fn(i64, String, Change) + Copy + 'static,
    enable: impl Fn(i64) + Copy + 'static,
) -> impl IntoView {
    let id = user.id;
    let disabled = user.disabled;
    let state = move || match (disabled, user.totp_enrolled, lang.get()) {
        (true, _, lang) => lang.pick("gesperrt", "disabled"),
        (false, true, lang) => lang.pick("aktiv", "active"),
        (false, false, lang) => {
            lang.pick("aktiv, 2. Faktor offen", "active, second factor pending")
        }
    };
    let toggle = move || {
        if disabled {
            lang.get().pick("Entsperren", "Enable")
        } else {
            lang.get().pick("Sperren", "Disable")
        }
    };
    let reset = move || {
        lang.get()
            .pick("2. Faktor zurücksetzen", "Reset second factor")
    };
    let reset_password = move || lang.get().pick("Passwort zurücksetzen", "Reset password");
    let name = user.name;
    let (toggle_name, totp_name, password_name) = (name.clone(), name.clone(), name.clone());
    let (disable_user, totp_user, password_user) = (name.clone(), name.clone(), name.clone());
    // Each cell names its column: on a phone the rows are stacked, the
    // names shown before the values (style.css, `.table--stack`).
    let column = move |de: &'static str, en: &'static str| move || lang.get().pick(de, en);
    view! {
        <tr>
            <td data-label=column("Name", "Name")>{name}</td>
            <td data-label=column("Rolle", "Role")>{move || role_name(user.role, lang.get())}</td>
            <td data-label=column("Status", "State")>{state}</td>
            <td class="table__actions">
                <button
                    class="button"
                    id=Change::Disable.button_id(id)
                    aria-label=move || format!("{} {toggle_name}", toggle())
                    on:click=move |_| {
                        if disabled {
                            enable(id);
                        } else {
                            ask(id, disable_user.clone(), Change::Disable);
                        }
                    }
                >
                    {toggle}
                </button>
                <button
                    class="button"
                    id=Change::ResetTotp.button_id(id)
                    aria-label=move || format!("{} {totp_name}", reset())
                    on:click=move |_| ask(id, totp_user.clone(), Change::ResetTotp)
                >
                    {reset}
                </button>
                <button
                    class="button"
                    id=Change::ResetPassword.button_id(id)
                    aria-label=move || format!("{} {password_name}", reset_password())
                    on:click=move |_| ask(id, password_user.clone(), Change::ResetPassword)
                >
                    {reset_password}
                </button>
            </td>
        </tr>
    }
}
