//! `/admin`: users and roles (create, disable, enable, reset the second
//! factor, reset the password), lab API keys ([`super::admin_labs`]), statistics
//! ([`super::stats`]) and the audit log with filters.

use leptos::prelude::*;
use shared::portal::{CreateUserRequest, Role, UserSummary};

use crate::api;
use crate::components::error_line::ErrorLine;
use crate::components::managed::{Managed, shown_once, table_rows};
use crate::components::protected::Protected;
use crate::i18n::{Lang, tr, use_lang};
use crate::pages::admin_labs::LabKeys;
use crate::pages::stats::Statistics;

/// The administration page.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Protected roles=&[Role::Admin]>
            <Users />
            <LabKeys />
            <Statistics />
            <AuditLog />
        </Protected>
    }
}

fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Hotline => lang.pick("Hotline", "Hotline"),
        Role::HealthOfficer => lang.pick("Gesundheitsamt", "Health officer"),
        Role::Lab => lang.pick("Labor", "Lab"),
        Role::Admin => lang.pick("Administration", "Administrator"),
    }
}

#[component]
fn Users() -> impl IntoView {
    let lang = use_lang();
    let managed = Managed::from_context();
    let users = managed.load(api::users);
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Hotline);
    let created = RwSignal::new(None::<(String, String)>);

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
    let change = move |id: i64, what: &'static str| {
        if what == "reset-password" {
            managed.change(
                move |csrf| async move { api::reset_password(&csrf, id).await },
                move |answer| created.set(Some((answer.user.name, answer.one_time_password))),
            );
            return;
        }
        managed.change(
            move |csrf| async move { api::change_user(&csrf, id, what).await },
            |_| (),
        );
    };

    let title = tr("Benutzer", "Users");
    let new_title = tr("Neuer Benutzer", "New user");
    let name_label = tr("Benutzername", "User name");
    let role_label = tr("Rolle", "Role");
    let create_label = tr("Anlegen", "Create");
    let password_note = tr(
        "Erst- bzw. Einmalpasswort, beim ersten Anmelden zu ändern (wird nur jetzt angezeigt)",
        "Initial or one-time password, to be changed at the first log-in (shown only now)",
    );
    let col_name = tr("Name", "Name");
    let col_state = tr("Status", "State");
    let col_actions = tr("Aktionen", "Actions");

    let rows = move || {
        table_rows(users.get(), lang.get(), 4, |user| {
            user_row(user, lang, change)
        })
    };

    view! {
        <section class="card" aria-labelledby="users-title">
            <h1 id="users-title">{title}</h1>
            <ErrorLine error=managed.error />
            {move || created.get().map(|(user, password)| {
                shown_once(password_note, user, password, "initial password")
            })}
            <table class="table table--scroll" tabindex="0" aria-labelledby="users-title">
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
        </section>
    }
}

fn user_row(
    user: UserSummary,
    lang: RwSignal<Lang>,
    change: impl Fn(i64, &'static str) + Copy + 'static,
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
    let name = user.name.clone();
    let password_name = user.name.clone();
    view! {
        <tr>
            <td>{name.clone()}</td>
            <td>{move || role_name(user.role, lang.get())}</td>
            <td>{state}</td>
            <td class="table__actions">
                <button
                    class="button"
                    aria-label=move || format!("{} {name}", toggle())
                    on:click=move |_| change(id, if disabled { "enable" } else { "disable" })
                >
                    {toggle}
                </button>
                <button class="button" on:click=move |_| change(id, "reset-totp")>{reset}</button>
                <button
                    class="button"
                    aria-label=move || format!("{} {password_name}", reset_password())
                    on:click=move |_| change(id, "reset-password")
                >
                    {reset_password}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let lang = use_lang();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let applied = RwSignal::new((String::new(), String::new()));
    let entries = LocalResource::new(move || {
        let (actor, action) = applied.get();
        async move { api::audit(&actor, &action).await }
    });
    let filter = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        applied.set((actor.get_untracked(), action.get_untracked()));
    };
    let title = tr("Audit-Log", "Audit log");
    let actor_label = tr("Wer", "Who");
    let action_label = tr("Aktion", "Action");
    let apply = tr("Filtern", "Filter");
    let col_when = tr("Wann (UTC)", "When (UTC)");
    let col_detail = tr("Details", "Details");
    let col_count = tr("Anzahl", "Count");
    let rows = move || {
        table_rows(entries.get(), lang.get(), 5, |entry| {
            view! {
                <tr>
                    <td>{crate::components::time::utc_minute(entry.at)}</td>
                    <td>{entry.actor}</td>
                    <td>{entry.action}</td>
                    <td>{entry.detail}</td>
                    <td>{entry.count}</td>
                </tr>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="audit-title">
            <h2 id="audit-title">{title}</h2>
            <form class="form form--inline" on:submit=filter>
                <label for="audit-actor">{actor_label}</label>
                <input id="audit-actor" type="text" prop:value=move || actor.get()
                    on:input=move |ev| actor.set(event_target_value(&ev)) />
                <label for="audit-action">{action_label}</label>
                <input id="audit-action" type="text" prop:value=move || action.get()
                    on:input=move |ev| action.set(event_target_value(&ev)) />
                <button type="submit">{apply}</button>
            </form>
            <table class="table table--scroll" tabindex="0" aria-labelledby="audit-title">
                <thead>
                    <tr>
                        <th scope="col">{col_when}</th>
                        <th scope="col">{actor_label}</th>
                        <th scope="col">{action_label}</th>
                        <th scope="col">{col_detail}</th>
                        <th scope="col">{col_count}</th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| ()>{rows}</Transition>
                </tbody>
            </table>
        </section>
    }
}
