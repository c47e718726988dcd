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
use crate::session::{SessionState, use_session};

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

/// The single teleTAN's state: the teleTAN on screen and when it arrived
/// (milliseconds), the failure, when the next issue is possible, whether a
/// request runs, whether the teleTAN was copied, what the live region says,
/// and the clock the countdowns read.
#[derive(Clone, Copy)]
struct TeleTanState {
    session: RwSignal<SessionState>,
    issued: RwSignal<Option<(TeleTanIssued, f64)>>,
    error: RwSignal<Option<ApiError>>,
    next_possible_at: RwSignal<Option<f64>>,
    busy: RwSignal<bool>,
    copied: RwSignal<bool>,
    /// What the live region says: the newest teleTAN while it is shown.
    announced: RwSignal<Option<String>>,
    /// A clock for the countdowns, ticking every second while the page is open.
    now: RwSignal<f64>,
}

impl TeleTanState {
    /// Nothing issued; the clock starts ticking.
    fn new() -> Self {
        let state = Self {
            session: use_session(),
            issued: RwSignal::new(None),
            error: RwSignal::new(None),
            next_possible_at: RwSignal::new(None),
            busy: RwSignal::new(false),
            copied: RwSignal::new(false),
            announced: RwSignal::new(None),
            now: RwSignal::new(now_ms()),
        };
        let now = state.now;
        if let Ok(handle) =
            set_interval_with_handle(move || now.set(now_ms()), Duration::from_secs(1))
        {
            on_cleanup(move || handle.clear());
        }
        state
    }

    /// Seconds the teleTAN on screen stays visible, while there are any.
    fn remaining(self) -> Option<f64> {
        self.issued.with(|issued| {
            issued
                .as_ref()
                .map(|(_, at)| (SHOWN_FOR - (self.now.get() - at) / 1000.0).ceil())
                .filter(|seconds| *seconds > 0.0)
        })
    }

    /// Seconds until the next teleTAN is possible, while there are any.
    fn wait(self) -> Option<f64> {
        self.next_possible_at
            .get()
            .map(|at| ((at - self.now.get()) / 1000.0).ceil())
            .filter(|seconds| *seconds > 0.0)
    }

    /// Issues a teleTAN and shows (and announces) it; a rate limit only
    /// sets the wait.
    fn issue(self) {
        let Some(csrf) = self.session.with_untracked(|state| state.csrf()) else {
            return;
        };
        self.busy.set(true);
        self.error.set(None);
        self.copied.set(false);
        spawn_local(async move {
            match api::issue_teletan(&csrf).await {
                Ok(teletan) => {
                    self.announced.set(Some(teletan.value.clone()));
                    self.issued.set(Some((teletan, now_ms())));
                    self.next_possible_at.set(None);
                }
                Err(failure) => match failure.retry_after() {
                    Some(seconds) if failure.status() == Some(429) => {
                        self.next_possible_at
                            .set(Some(now_ms() + seconds as f64 * 1000.0));
                    }
                    _ => self.error.set(Some(failure)),
                },
            }
            self.busy.set(false);
        });
    }

    /// Copies the teleTAN on screen to the clipboard; the button says so
    /// once it is there.
    fn copy(self) {
        if let Some((teletan, _)) = self.issued.get_untracked() {
            let clipboard = window().navigator().clipboard();
            let promise = clipboard.write_text(&teletan.value);
            spawn_local(async move {
                if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                    self.copied.set(true);
                }
            });
        }
    }
}

/// The card that issues one teleTAN: the button (waiting out a rate
/// limit), the failure, the teleTAN while it is shown, and the live region
/// that announces it.
#[component]
fn TeleTanIssuer() -> impl IntoView {
    let lang = use_lang();
    let state = TeleTanState::new();
    let TeleTanState {
        error,
        busy,
        announced,
        ..
    } = state;
    // Once hidden, the teleTAN leaves the live region too.
    Effect::new(move |_| {
        if state.remaining().is_none() && announced.with_untracked(Option::is_some) {
            announced.set(None);
        }
    });
    let heading = NodeRef::<leptos::html::H1>::new();
    heading_takes_focus(heading);
    let title = tr("teleTAN ausgeben", "Issue a teleTAN");
    let button = tr("teleTAN ausgeben", "Issue teleTAN");
    view! {
        <section class="card no-print" aria-labelledby="teletan-title">
            <h1 id="teletan-title" tabindex="-1" node_ref=heading>{title}</h1>
            <button class="button button--primary" on:click=move |_| state.issue() disabled=move || busy.get() || state.wait().is_some()>
                {button}
            </button>
            <ErrorLine error=error />
            {move || state.wait().map(|seconds| {
                let text = match lang.get() {
                    crate::i18n::Lang::De => format!("Die nächste teleTAN ist in {seconds} Sekunden möglich."),
                    crate::i18n::Lang::En => format!("The next teleTAN is possible in {seconds} seconds."),
                };
                view! { <p class="alert alert--info" role="status">{text}</p> }
            })}
            <IssuedTeleTan state=state />
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

/// The teleTAN while it is shown: large and grouped for reading aloud, the
/// countdown to its hiding, the copy button and the spelling table.
#[component]
fn IssuedTeleTan(state: TeleTanState) -> impl IntoView {
    let lang = use_lang();
    let TeleTanState { issued, copied, .. } = state;
    let copy_label = tr("Kopieren", "Copy");
    let copied_label = tr("Kopiert", "Copied");
    let spelling_title = tr("Buchstabiert", "Spelled out");
    let german = tr("Deutsch", "German");
    let international = tr("International", "International");
    let character = tr("Zeichen", "Character");
    move || {
        let seconds = state.remaining()?;
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
                <button class="button" on:click=move |_| state.copy()>
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
    }
}
