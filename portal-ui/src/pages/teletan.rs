//! `/teletan`: one click issues a teleTAN, shown large for reading aloud
//! with a spelling aid, a copy button and a countdown; hidden after ten
//! minutes. A rate limit is shown as the time of the next possible issue.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::portal::{Role, TeleTanIssued};

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::components::focus::heading_takes_focus;
use crate::components::protected::Protected;
use crate::components::spelling::{grouped, spell};
use crate::i18n::{tr, use_lang};
use crate::pages::teletan_batch::BatchIssuer;
use crate::session::use_session;

/// How long an issued teleTAN stays on screen, in seconds.
const SHOWN_FOR: f64 = 600.0;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The teleTAN page.
#[component]
pub fn TeleTanPage() -> impl IntoView {
    view! {
        <Protected roles=&[Role::Hotline, Role::HealthOfficer]>
            <TeleTanIssuer />
            <BatchIssuer />
        </Protected>
    }
}

#[component]
fn TeleTanIssuer() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let issued = RwSignal::new(None::<(TeleTanIssued, f64)>);
    let error = RwSignal::new(None::<ApiError>);
    let next_possible_at = RwSignal::new(None::<f64>);
    let busy = RwSignal::new(false);
    let copied = RwSignal::new(false);
    // What the live region says: the newest teleTAN while it is shown.
    let announced = RwSignal::new(None::<String>);
    // A clock for the countdowns, ticking every second while the page is open.
    let now = RwSignal::new(now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    let remaining = move || {
        issued.with(|issued| {
            issued
                .as_ref()
                .map(|(_, at)| (SHOWN_FOR - (now.get() - at) / 1000.0).ceil())
                .filter(|seconds| *seconds > 0.0)
        })
    };
    let wait = move || {
        next_possible_at
            .get()
            .map(|at| ((at - now.get()) / 1000.0).ceil())
            .filter(|seconds| *seconds > 0.0)
    };

    // Once hidden, the teleTAN leaves the live region too.
    Effect::new(move |_| {
        if remaining().is_none() && announced.with_untracked(Option::is_some) {
            announced.set(None);
        }
    });

    let issue = move |_| {
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        busy.set(true);
        error.set(None);
        copied.set(false);
        spawn_local(async move {
            match api::issue_teletan(&csrf).await {
                Ok(teletan) => {
                    announced.set(Some(teletan.value.clone()));
                    issued.set(Some((teletan, now_ms())));
                    next_possible_at.set(None);
                }
                Err(failure) => match failure.retry_after() {
                    Some(seconds) if failure.status() == Some(429) => {
                        next_possible_at.set(Some(now_ms() + seconds as f64 * 1000.0));
                    }
                    _ => error.set(Some(failure)),
                },
            }
            busy.set(false);
        });
    };

    let copy = move |_| {
        if let Some((teletan, _)) = issued.get_untracked() {
            let clipboard = window().navigator().clipboard();
            let promise = clipboard.write_text(&teletan.value);
            spawn_local(async move {
                if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                    copied.set(true);
                }
            });
        }
    };

    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("teleTAN ausgeben", "Issue a teleTAN");
    let button = tr("teleTAN ausgeben", "Issue teleTAN");
    let copy_label = tr("Kopieren", "Copy");
    let copied_label = tr("Kopiert", "Copied");
    let spelling_title = tr("Buchstabiert", "Spelled out");
    let german = tr("Deutsch", "German");
    let international = tr("International", "International");
    let character = tr("Zeichen", "Character");

    view! {
        <section class="card no-print" aria-labelledby="teletan-title">
            <h1 id="teletan-title" tabindex="-1" node_ref=heading>{title}</h1>
            <button class="button button--primary" on:click=issue disabled=move || busy.get() || wait().is_some()>
                {button}
            </button>
            <ErrorLine error=error />
            {move || wait().map(|seconds| {
                let text = match lang.get() {
                    crate::i18n::Lang::De => format!("Die nächste teleTAN ist in {seconds} Sekunden möglich."),
                    crate::i18n::Lang::En => format!("The next teleTAN is possible in {seconds} seconds."),
                };
                view! { <p class="alert alert--info" role="status">{text}</p> }
            })}
            {move || {
                let seconds = remaining()?;
                let (teletan, _) = issued.get()?;
                let minutes = (seconds as u32) / 60;
                let rest = (seconds as u32) % 60;
                let countdown = match lang.get() {
                    crate::i18n::Lang::De => format!("Noch {minutes}:{rest:02} Minuten sichtbar"),
                    crate::i18n::Lang::En => format!("Visible for {minutes}:{rest:02} more minutes"),
                };
                let rows = teletan
                    .value
                    .chars()
                    .map(|c| {
                        let (de, en) = spell(c);
                        view! { <tr><th scope="row">{c.to_string()}</th><td>{de}</td><td>{en}</td></tr> }
                    })
                    .collect_view();
                Some(view! {
                    <div class="teletan">
                        <output class="teletan__value" aria-label="teleTAN">{grouped(&teletan.value)}</output>
                        <p class="teletan__countdown" role="timer">{countdown}</p>
                        <button class="button" on:click=copy>
                            {move || if copied.get() { copied_label() } else { copy_label() }}
                        </button>
                        <table class="spelling">
                            <caption>{spelling_title}</caption>
                            <thead>
                                <tr><th scope="col">{character}</th><th scope="col">{german}</th><th scope="col">{international}</th></tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                })
            }}
            // Present (empty) from the start: a screen reader announces a
            // change of a live region it already knows, not a region that
            // appears already filled.
            <p id="teletan-announcement" class="visually-hidden" role="status" aria-live="polite">
                {move || announced.get().map(|value| {
                    let value = grouped(&value);
                    match lang.get() {
                        crate::i18n::Lang::De => format!("Neue teleTAN: {value}"),
                        crate::i18n::Lang::En => format!("New teleTAN: {value}"),
                    }
                })}
            </p>
        </section>
    }
}
