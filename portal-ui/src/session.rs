//! The logged-in user as the whole app sees it: a signal in context,
//! filled from `GET /api/v1/portal/session` when the portal starts and by
//! the log-in (the public verifier never asks).

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::portal::{Role, SessionInfo};

/// Whether someone is logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Still asking the server.
    Unknown,
    /// Nobody (or the session ended).
    Anonymous,
    /// Logged in.
    Active(SessionInfo),
}

impl SessionState {
    /// The session, when there is one.
    pub fn info(&self) -> Option<&SessionInfo> {
        match self {
            Self::Active(info) => Some(info),
            _ => None,
        }
    }

    /// The CSRF token for state-changing requests.
    pub fn csrf(&self) -> Option<String> {
        self.info().map(|info| info.csrf_token.clone())
    }
}

/// Puts the session signal into context; with `ask_server`, asks the
/// server once. The public verifier's pages do not ask: they need no
/// session, and every visitor would pay a request answered 401 (an error
/// in the browser's console) for nothing.
pub fn provide_session(ask_server: bool) -> RwSignal<SessionState> {
    if !ask_server {
        let session = RwSignal::new(SessionState::Anonymous);
        provide_context(session);
        return session;
    }
    let session = RwSignal::new(SessionState::Unknown);
    provide_context(session);
    spawn_local(async move {
        let state = match crate::api::session().await {
            Ok(info) => SessionState::Active(info),
            Err(_) => SessionState::Anonymous,
        };
        session.set(state);
    });
    session
}

/// The session signal.
pub fn use_session() -> RwSignal<SessionState> {
    expect_context::<RwSignal<SessionState>>()
}

/// The page a role starts on after the log-in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Hotline | Role::HealthOfficer => "/teletan",
        Role::Lab => "/lab",
        Role::Admin => "/admin",
    }
}
