//! Part of `/admin`: lab API keys (create: the key is shown once; list;
//! disable).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::portal::LabKeySummary;

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::components::time::utc_date;
use crate::i18n::{Lang, tr, use_lang};
use crate::session::use_session;

/// Lab API keys.
#[component]
pub fn LabKeys() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let version = RwSignal::new(0_u32);
    let labs = LocalResource::new(move || {
        version.get();
        api::labs()
    });
    let error = RwSignal::new(None::<ApiError>);
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<(String, String)>);

    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let typed = name.get_untracked();
        error.set(None);
        created.set(None);
        spawn_local(async move {
            match api::create_lab(&csrf, &typed).await {
                Ok(answer) => {
                    created.set(Some((answer.lab.name, answer.key)));
                    name.set(String::new());
                    version.update(|v| *v += 1);
                }
                // The form keeps what was typed.
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    let disable = move |id: i64| {
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        error.set(None);
        spawn_local(async move {
            match api::disable_lab(&csrf, id).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(failure) => error.set(Some(failure)),
            }
        });
    };

    let title = tr("Labor-API-Schlüssel", "Lab API keys");
    let name_label = tr("Name des Labors", "Lab name");
    let create_label = tr("Schlüssel erzeugen", "Create key");
    let key_note = tr(
        "API-Schlüssel (wird nur jetzt angezeigt; das Labor sendet ihn als „Authorization: Bearer …“)",
        "API key (shown only now; the lab sends it as “Authorization: Bearer …”)",
    );
    let col_name = tr("Labor", "Lab");
    let col_state = tr("Status", "State");
    let col_created = tr("Angelegt", "Created");
    let col_actions = tr("Aktionen", "Actions");

    let rows = move || {
        labs.get().map(|result| match result {
            Ok(list) => list
                .into_iter()
                .map(|lab| lab_row(lab, lang, disable))
                .collect_view()
                .into_any(),
            Err(failure) => {
                let text = failure.describe(lang.get());
                view! { <tr><td colspan="4" role="alert">{text}</td></tr> }.into_any()
            }
        })
    };

    view! {
        <section class="card" aria-labelledby="labs-title">
            <h2 id="labs-title">{title}</h2>
            <ErrorLine error=error />
            {move || created.get().map(|(lab, key)| view! {
                <p class="alert alert--info" role="status">
                    {key_note} " – " {lab} ": "
                    <code aria-label="lab API key" class="secret">{key}</code>
                </p>
            })}
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
            <form class="form form--inline" on:submit=create>
                <label for="new-lab-name">{name_label}</label>
                <input id="new-lab-name" type="text" required maxlength="100"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev)) />
                <button type="submit">{create_label}</button>
            </form>
        </section>
    }
}

fn lab_row(
    lab: LabKeySummary,
    lang: RwSignal<Lang>,
    disable: impl Fn(i64) + Copy + 'static,
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
    let action = move || lang.get().pick("Sperren", "Disable");
    view! {
        <tr>
            <td>{lab.name.clone()}</td>
            <td>{state}</td>
            <td>{utc_date(lab.created_at)}</td>
            <td class="table__actions">
                {(!disabled).then(|| view! {
                    <button class="button" aria-label=move || format!("{} {name}", action())
                        on:click=move |_| disable(id)>
                        {action}
                    </button>
                })}
            </td>
        </tr>
    }
}
