//! Whether the server answers, and what it reports about itself.

use leptos::prelude::*;

use crate::api::{self, ServerInfo};
use crate::i18n::{Lang, tr, use_lang};

/// A live region with the server's version and database, or why they
/// could not be fetched.
#[component]
pub fn ServerStatus() -> impl IntoView {
    let info = LocalResource::new(api::server_info);
    let lang = use_lang();
    let checking = tr(
        "Verbindung zum Server wird geprüft …",
        "Checking the connection to the server …",
    );
    let unknown = tr("Serverstatus unbekannt: ", "Server status unknown: ");
    view! {
        <div class="status" role="status" aria-live="polite">
            <Transition fallback=move || {
                view! { <p class="status__line">{checking}</p> }
            }>
                <ErrorBoundary fallback=move |errors| {
                    view! {
                        <p class="status__line status__line--error">
                            {unknown}
                            {move || {
                                errors
                                    .with(|errors| {
                                        errors
                                            .iter()
                                            .map(|(_, error)| error.to_string())
                                            .collect::<Vec<_>>()
                                            .join("; ")
                                    })
                            }}
                        </p>
                    }
                }>
                    {move || Suspend::new(async move { info.await.map(|info| reachable(info, lang)) })}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn reachable(info: ServerInfo, lang: RwSignal<Lang>) -> impl IntoView {
    let text = move || match lang.get() {
        Lang::De => format!(
            "Server erreichbar — Version {}, Datenbank {}",
            info.version, info.database
        ),
        Lang::En => format!(
            "Server reachable — version {}, database {}",
            info.version, info.database
        ),
    };
    view! { <p class="status__line status__line--ok">{text}</p> }
}
