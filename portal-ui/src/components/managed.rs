//! The pattern of the administration lists (users, lab API keys): a list
//! loaded from the server and loaded again after each change; changes sent
//! with the session's CSRF token, a failure shown in one error line while
//! the form keeps what was typed; the table's rows, "no entries", or the
//! loading failure in one row; a secret the server shows only once.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiError;
use crate::i18n::Lang;
use crate::session::{SessionState, use_session};

/// A managed list: its version (a successful change bumps it, which loads
/// the list again), the error line of its changes, the session.
#[derive(Clone, Copy)]
pub struct Managed {
    version: RwSignal<u32>,
    session: RwSignal<SessionState>,
    /// The last change's failure, for an `ErrorLine`.
    pub error: RwSignal<Option<ApiError>>,
}

impl Managed {
    /// A new list's state, with the session of the context: call it while
    /// building a component.
    pub fn from_context() -> Self {
        Self {
            version: RwSignal::new(0),
            session: use_session(),
            error: RwSignal::new(None),
        }
    }

    /// The list, loaded with `load` now and after every successful change.
    pub fn load<T, Fut>(self, load: impl Fn() -> Fut + 'static) -> LocalResource<T>
    where
        T: 'static,
        Fut: Future<Output = T> + 'static,
    {
        let version = self.version;
        LocalResource::new(move || {
            version.track();
            load()
        })
    }

    /// Sends a change: `call` gets the CSRF token; on success `done` gets
    /// the answer and the list is loaded again, on failure the error line
    /// says why. Nothing is sent without a session.
    pub fn change<T, Fut>(
        self,
        call: impl FnOnce(String) -> Fut + 'static,
        done: impl FnOnce(T) + 'static,
    ) where
        T: 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        let Some(csrf) = self.session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let (version, error) = (self.version, self.error);
        error.set(None);
        spawn_local(async move {
            match call(csrf).await {
                Ok(answer) => {
                    done(answer);
                    version.update(|version| *version += 1);
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    }
}

/// The table rows of a loaded list, "no entries" in one row across
/// `columns` for an empty one, or its loading failure in one row; nothing
/// while it loads.
pub fn table_rows<T, V>(
    loaded: Option<Result<Vec<T>, ApiError>>,
    lang: Lang,
    columns: u32,
    row: impl Fn(T) -> V,
) -> Option<AnyView>
where
    V: IntoView + 'static,
{
    loaded.map(|result| match result {
        Ok(list) if list.is_empty() => {
            let text = lang.pick("Keine Einträge", "No entries");
            view! { <tr><td colspan=columns.to_string() class="table__empty">{text}</td></tr> }
                .into_any()
        }
        Ok(list) => list.into_iter().map(row).collect_view().into_any(),
        Err(failure) => {
            let text = failure.describe(lang);
            view! { <tr><td colspan=columns.to_string() role="alert">{text}</td></tr> }.into_any()
        }
    })
}

/// A secret the server shows only in one answer (an initial password, a
/// lab API key): `note` says so, `owner` says whose it is, `label` names
/// the secret for screen readers.
pub fn shown_once(
    note: impl IntoView + 'static,
    owner: String,
    secret: String,
    label: &'static str,
) -> impl IntoView {
    view! {
        <p class="alert alert--info" role="status">
            {note} " – " {owner} ": "
            <code aria-label=label class="secret">{secret}</code>
        </p>
    }
}
