//! `/admin/audit`: the audit log, newest first, filtered by action (the
//! known actions by name, in German or English) and by user name (the
//! server compares it in any case).

use leptos::prelude::*;
use shared::portal::AUDIT_ACTIONS;

use crate::api;
use crate::components::focus::heading_takes_focus;
use crate::components::managed::table_rows;
use crate::components::time::utc_minute;
use crate::i18n::{Lang, tr, use_lang};

/// What an audit action (`shared::portal::AUDIT_ACTIONS`) means, in
/// words; an action this page does not know is shown as it is.
fn action_name(action: &str, lang: Lang) -> String {
    let (de, en) = match action {
        "login" => ("Anmeldung", "Log-in"),
        "logout.everywhere" => ("Überall abgemeldet", "Logged out everywhere"),
        "password.changed" => ("Passwort geändert", "Password changed"),
        "teletan.issued" => ("teleTAN ausgegeben", "teleTAN issued"),
        "teletan.batch-issued" => ("teleTAN-Stapel ausgegeben", "teleTAN batch issued"),
        "lab.results-uploaded" => ("Laborergebnisse gemeldet", "Lab results uploaded"),
        "user.created" => ("Benutzer angelegt", "User created"),
        "user.disabled" => ("Benutzer gesperrt", "User disabled"),
        "user.enabled" => ("Benutzer entsperrt", "User enabled"),
        "user.totp-reset" => ("Zweiter Faktor zurückgesetzt", "Second factor reset"),
        "user.password-reset" => ("Passwort zurückgesetzt", "Password reset"),
        "lab-key.created" => ("Labor-API-Schlüssel erzeugt", "Lab API key created"),
        "lab-key.disabled" => ("Labor-API-Schlüssel gesperrt", "Lab API key disabled"),
        other => return other.to_owned(),
    };
    lang.pick(de, en).to_owned()
}

/// The filter form and the entries.
#[component]
pub fn AuditLog() -> impl IntoView {
    let lang = use_lang();
    // The filter last applied: user name and action ("" for any).
    let applied = RwSignal::new((String::new(), String::new()));
    let entries = LocalResource::new(move || {
        let (actor, action) = applied.get();
        async move { api::audit(&actor, &action).await }
    });
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("Audit-Log", "Audit log");
    let actor_label = tr("Benutzer", "User");
    let action_label = tr("Aktion", "Action");
    let col_when = tr("Wann (UTC)", "When (UTC)");
    let col_detail = tr("Details", "Details");
    let col_count = tr("Anzahl", "Count");
    // Each cell names its column: on a phone the rows are stacked, the
    // names shown before the values (style.css, `.table--stack`).
    let rows = move || {
        let lang = lang.get();
        table_rows(entries.get(), lang, 5, |entry| {
            view! {
                <tr>
                    <td data-label=col_when()>{utc_minute(entry.at)}</td>
                    <td data-label=actor_label()>{entry.actor}</td>
                    <td data-label=action_label()>{action_name(&entry.action, lang)}</td>
                    <td data-label=col_detail()>{entry.detail}</td>
                    <td data-label=col_count()>{entry.count}</td>
                </tr>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="audit-title">
            <h1 id="audit-title" tabindex="-1" node_ref=heading>{title}</h1>
            <AuditFilter applied=applied />
            <table class="table table--stack">
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

/// The filter form: an action (every known one by name) and a user name;
/// submitted, it becomes `applied` and the entries are loaded again.
#[component]
fn AuditFilter(applied: RwSignal<(String, String)>) -> impl IntoView {
    let lang = use_lang();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let filter = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        applied.set((actor.get_untracked(), action.get_untracked()));
    };
    let actor_label = tr("Benutzer", "User");
    let actor_hint = tr(
        "Der ganze Name; Groß- und Kleinschreibung spielt keine Rolle.",
        "The whole name, in any case.",
    );
    let action_label = tr("Aktion", "Action");
    let every_action = tr("Alle Aktionen", "All actions");
    let apply = tr("Filtern", "Filter");
    let options = move || {
        let lang = lang.get();
        AUDIT_ACTIONS
            .into_iter()
            .map(|known| {
                view! {
                    <option value=known selected=move || action.get() == known>
                        {action_name(known, lang)}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <form class="form form--inline" on:submit=filter>
            <label for="audit-action">{action_label}</label>
            <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                <option value="" selected=move || action.get().is_empty()>{every_action}</option>
                {options}
            </select>
            <label for="audit-actor">{actor_label}</label>
            <input id="audit-actor" type="text" aria-describedby="audit-actor-hint"
                prop:value=move || actor.get()
                on:input=move |ev| actor.set(event_target_value(&ev)) />
            <button type="submit">{apply}</button>
            <p id="audit-actor-hint" class="hint form__note">{actor_hint}</p>
        </form>
    }
}
