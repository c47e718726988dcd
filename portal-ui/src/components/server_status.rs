//! Whether the server answers, and what it reports about itself.

use leptos::prelude::*;

use crate::api::{self, ServerInfo};

/// A live region with the server's version and database, or why they
/// could not be fetched.
#[component]
pub fn ServerStatus() -> impl IntoView {
    let info = LocalResource::new(api::server_info);
    view! {
        <div class="status" role="status" aria-live="polite">
            <Transition fallback=|| {
                view! { <p class="status__line">"Verbindung zum Server wird geprüft …"</p> }
            }>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <p class="status__line status__line--error">
                            "Serverstatus unbekannt: "
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
                    {move || Suspend::new(async move { info.await.map(reachable) })}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

fn reachable(info: ServerInfo) -> impl IntoView {
    view! {
        <p class="status__line status__line--ok">
            "Server erreichbar — Version " {info.version} ", Datenbank " {info.database}
        </p>
    }
}
