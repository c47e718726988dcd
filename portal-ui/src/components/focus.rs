//! Where the keyboard focus goes when the page changes under it. After
//! the log-in (and a link of the administration's sub-navigation) the new
//! page's main heading takes the focus, so a screen reader reads where the
//! person is and the next Tab starts there, not at the top of the body.

use std::cell::Cell;

use leptos::html::H1;
use leptos::prelude::*;

thread_local! {
    /// Whether the next heading that mounts with [`heading_takes_focus`]
    /// should take the focus.
    static REQUESTED: Cell<bool> = const { Cell::new(false) };
}

/// Asks the next page's main heading to take the focus when it mounts:
/// call it just before navigating to a page whose heading uses
/// [`heading_takes_focus`].
pub fn focus_next_heading() {
    REQUESTED.with(|requested| requested.set(true));
}

/// Gives `heading` (an `<h1 tabindex="-1">`) the focus when it mounts, if
/// [`focus_next_heading`] asked for it; a page opened directly keeps the
/// browser's focus.
pub fn heading_takes_focus(heading: NodeRef<H1>) {
    Effect::new(move |_| {
        if let Some(element) = heading.get()
            && REQUESTED.with(|requested| requested.replace(false))
        {
            let _ = element.focus();
        }
    });
}
