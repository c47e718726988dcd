//! The one place a failed request is shown: an alert line with the reason.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::i18n::use_lang;

/// Shows the error in `error`, if any, as an alert (read out by screen readers).
#[component]
pub fn ErrorLine(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let lang = use_lang();
    move || {
        error.get().map(|error| {
            view! { <p class="alert alert--error" role="alert">{error.describe(lang.get())}</p> }
        })
    }
}
