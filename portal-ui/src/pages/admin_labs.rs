//! `/admin/labs`: lab API keys (create: the key is shown once; list;
//! disable, after a question that names the lab, Cancel the default).

use leptos::prelude::*;
use shared::portal::LabKeySummary;

use crate::api;
use crate::components::confirm::{Question, confirm_dialog, focus_id};
use crate::components::error_line::ErrorLine;
use crate::components::focus::heading_takes_focus;
use crate::components::managed::{Managed, shown_once, table_rows};
use crate::components::time::{Shown, when};
use crate::i18n::{Lang, tr, use_lang};

/// Lab API keys: the list, the question before a key is disabled, the
/// form that creates a key.
#[component]
pub fn LabKeys() -> impl IntoView {
    let lang = use_lang();
    let managed = Managed::from_context();
    let labs = managed.load(api::labs);
    // The lab and key to show once.
    let created = RwSignal::new(None::<(String, String)>);
    // The lab whose key is asked about now: id and name.
    let asked = RwSignal::new(None::<(i64, String)>);
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let answer = move |yes: bool| {
        let Some((id, _)) = asked.get_untracked() else {
            return;
        };
        asked.set(None);
        if !yes {
            focus_id(&disable_button_id(id));
            return;
        }
        managed.change(
            move |csrf| async move { api::disable_lab(&csrf, id).await },
            |_| (),
        );
        if let Some(heading) = heading.get_untracked() {
            let _ = heading.focus();
        }
    };
    let disable = move |id: i64, lab: String| {
        created.set(None);
        asked.set(Some((id, lab)));
    };

    let title = tr("Labor-API-Schlüssel", "Lab API keys");
    let key_note = tr(
        "API-Schlüssel (wird nur jetzt angezeigt; das Labor sendet ihn als „Authorization: Bearer …“)",
        "API key (shown only now; the lab sends it as “Authorization: Bearer …”)",
    );
    let col_name = tr("Labor", "Lab");
    let col_state = tr("Status", "State");
    let col_created = tr("Angelegt", "Created");
    let col_actions = tr("Aktionen", "Actions");

    let rows = move || table_rows(labs.get(), lang.get(), 4, |lab| lab_row(lab, lang, disable));

    view! {
        <section class="card" aria-labelledby="labs-title">
            <h1 id="labs-title" tabindex="-1" node_ref=heading>{title}</h1>
            <ErrorLine error=managed.error />
            {move || created.get().map(|(lab, key)| shown_once(key_note, lab, key, "lab API key"))}
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">{col_name}</th>
                        <th scope="col">{col_state}</th>
                        <th scope="col">{col_created}</th>
                        <th scope="col">{col_actions}</th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| ()>{rows}</Transition>
                </tbody>
            </table>
            {move || asked.get().map(|(_, lab)| {
                confirm_dialog("lab-key-confirm", question(&lab, lang.get()), answer)
            })}
            <NewLabKey managed=managed created=created />
        </section>
    }
}

/// The form that creates a lab's key: the server's key goes to `created`,
/// to be shown once, and the name field is emptied.
#[component]
fn NewLabKey(managed: Managed, created: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = name.get_untracked();
        created.set(None);
        managed.change(
            move |csrf| async move { api::create_lab(&csrf, &typed).await },
            move |answer| {
                created.set(Some((answer.lab.name, answer.key)));
                name.set(String::new());
            },
        );
    };
    let name_label = tr("Name des Labors", "Lab name");
    let create_label = tr("Schlüssel erzeugen", "Create key");
    view! {
        <form class="form form--inline" on:submit=create>
            <label for="new-lab-name">{name_label}</label>
            <input id="new-lab-name" type="text" required maxlength="100"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev)) />
            <button type="submit">{create_label}</button>
        </form>
    }
}

/// The id of a lab's disable button (the focus returns there after Cancel).
fn disable_button_id(lab: i64) -> String {
    format!("lab-{lab}-disable")
}

fn question(lab: &str, lang: Lang) -> Question {
    let (title, text, yes) = match lang {
        Lang::De => (
            format!("Schlüssel des Labors „{lab}“ sperren?"),
            "Das Labor kann mit diesem Schlüssel keine Ergebnisse mehr senden; das lässt sich nicht rückgängig machen.".to_owned(),
            "Ja, sperren",
        ),
        Lang::En => (
            format!("Disable the key of the lab “{lab}”?"),
            "The lab can no longer send results with this key; this cannot be undone.".to_owned(),
            "Yes, disable",
        ),
    };
    Question {
        title,
        text,
        yes,
        cancel: lang.pick("Abbrechen", "Cancel"),
    }
}

fn lab_row(
    lab: LabKeySummary,
    lang: RwSignal<Lang>,
    disable: impl Fn(i64, String) + Copy + 'static,
) -> impl IntoView {
    let id = lab.id;
    let disabled = lab.disabled;
    let state = move || {
        if disabled {
            lang.get().pick("gesperrt", "disabled")
        } else {
            lang.get().pick("aktiv", "active")
        }
    };
    let name = lab.name.clone();
    let created_at = lab.created_at;
    let action = move || lang.get().pick("Sperren", "Disable");
    view! {
        <tr>
            <td>{lab.name.clone()}</td>
            <td>{state}</td>
            <td>{move || when(created_at, lang.get(), Shown::Date)}</td>
            <td class="table__actions">
                {(!disabled).then(|| {
                    let lab = name.clone();
                    view! {
                        <button class="button" id=disable_button_id(id)
                            aria-label=move || format!("{} {name}", action())
                            on:click=move |_| disable(id, lab.clone())>
                            {action}
                        </button>
                    }
                })}
            </td>
        </tr>
    }
}
