//! The one place a failed request is shown: an alert line with the reason
//! in the page's language (`ApiError::describe`: for the server's error
//! codes, what to do), and for a rate limit a countdown to the moment the
//! next attempt may succeed.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::{Lang, use_lang};

/// Shows the error in `error`, if any, as an alert (read out by screen
/// readers once); a rate limit's wait counts down beside it, in a timer
/// that screen readers do not read out every second.
#[component]
pub fn ErrorLine(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let lang = use_lang();
    // When the error shown now arrived (milliseconds), and the clock.
    let since = RwSignal::new(js_sys::Date::now());
    let now = RwSignal::new(js_sys::Date::now());
    Effect::new(move |_| {
        error.track();
        let at = js_sys::Date::now();
        since.set(at);
        now.set(at);
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if error
                .with_untracked(|error| error.as_ref().and_then(ApiError::retry_after))
                .is_some()
            {
                now.set(js_sys::Date::now());
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
    move || {
        error.get().map(|failure| {
            let wait = failure.retry_after();
            let countdown = wait.map(|seconds| {
                move || {
                    let left =
                        (seconds as f64 - (now.get() - since.get()) / 1000.0).ceil().max(0.0) as u64;
                    match (left, lang.get()) {
                        (0, Lang::De) => "Jetzt kann es erneut versucht werden.".to_owned(),
                        (0, Lang::En) => "You can try again now.".to_owned(),
                        (1, Lang::De) => "Noch 1 Sekunde.".to_owned(),
                        (1, Lang::En) => "1 second left.".to_owned(),
                        (left, Lang::De) => format!("Noch {left} Sekunden."),
                        (left, Lang::En) => format!("{left} seconds left."),
                    }
                }
            });
            view! {
                <p class="alert alert--error" role="alert">{move || failure.describe(lang.get())}</p>
                {countdown.map(|text| view! {
                    <p class="alert__countdown" role="timer" id="error-countdown">{text}</p>
                })}
            }
        })
    }
}
