//! A question before a change that is hard to undo (disabling a user or a
//! lab key, resetting a second factor or a password): a WAI-ARIA
//! alertdialog in the page, like the lab's question before a positive
//! result. It appears with Cancel focused, the least harmful answer (a
//! second Enter cancels, never confirms); Escape cancels too. Its label is
//! the question, which names the user or lab it concerns.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What the dialog asks: `title` (its label: names whom the change
/// concerns), `text` (what the change does), `yes` (the confirming
/// button's words).
pub struct Question {
    /// The question, naming the user or lab.
    pub title: String,
    /// What the change does.
    pub text: String,
    /// The confirming button's words.
    pub yes: &'static str,
    /// The cancelling button's words.
    pub cancel: &'static str,
}

/// The dialog `id` asking `question`; `on_answer(true)` confirms,
/// `on_answer(false)` cancels.
pub fn confirm_dialog(
    id: &'static str,
    question: Question,
    on_answer: impl Fn(bool) + Copy + 'static,
) -> impl IntoView {
    let cancel_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel_button.get() {
            let _ = button.focus();
        }
    });
    let text_id = format!("{id}-text");
    let described_by = text_id.clone();
    let label = question.title.clone();
    let on_key = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" {
            on_answer(false);
        }
    };
    view! {
        <div id=id class="alert alert--error confirm" role="alertdialog"
            aria-label=label aria-describedby=described_by on:keydown=on_key>
            <h2>{question.title}</h2>
            <p id=text_id>{question.text}</p>
            <div class="form form--inline">
                <button type="button" class="button button--primary"
                    on:click=move |_| on_answer(true)>{question.yes}</button>
                <button type="button" class="button" node_ref=cancel_button
                    on:click=move |_| on_answer(false)>{question.cancel}</button>
            </div>
        </div>
    }
}

/// Moves the keyboard focus to the element `id`, if the page shows it
/// (after a question, back to the button that asked it).
pub fn focus_id(id: &str) {
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}
