//! `/login`: password, then the code of the authenticator app; at the
//! first log-in the QR code to set the app up.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::portal::{LoginNext, LoginRequest, TotpEnrolment};

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::components::focus::focus_next_heading;
use crate::i18n::tr;
use crate::session::{SessionState, home_of, use_session};

/// What the log-in's two steps share: what was typed, whether a request
/// runs, the last failure, and after the password the pending session.
#[derive(Clone, Copy)]
struct LoginSteps {
    name: RwSignal<String>,
    password: RwSignal<String>,
    code: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    busy: RwSignal<bool>,
    /// After the password: the pending session's CSRF token, and the new
    /// secret when the second factor is still to be set up.
    pending: RwSignal<Option<(String, Option<TotpEnrolment>)>>,
}

/// Gives `field` the focus whenever it is put on the page: the focus is
/// where the person types next, the user name on arrival (and when the code
/// step starts over), the code after the password.
fn focus_when_mounted(field: NodeRef<leptos::html::Input>) {
    Effect::new(move |_| {
        if let Some(input) = field.get() {
            let _ = input.focus();
        }
    });
}

/// The log-in page: the password step, then the code step (with the set-up
/// of the authenticator app at the first log-in), one failure line above.
#[component]
pub fn Login() -> impl IntoView {
    let steps = LoginSteps {
        name: RwSignal::new(String::new()),
        password: RwSignal::new(String::new()),
        code: RwSignal::new(String::new()),
        error: RwSignal::new(None),
        busy: RwSignal::new(false),
        pending: RwSignal::new(None),
    };
    let title = tr("Anmelden", "Log in");
    view! {
        <section class="card card--narrow" aria-labelledby="login-title">
            <h1 id="login-title">{title}</h1>
            <ErrorLine error=steps.error />
            <Show
                when=move || steps.pending.with(Option::is_some)
                fallback=move || view! { <PasswordStep steps=steps /> }
            >
                <Enrolment steps=steps />
                <CodeStep steps=steps />
            </Show>
        </section>
    }
}

/// The first step: user name and password. Accepted, they start a pending
/// session and the password is forgotten.
#[component]
fn PasswordStep(steps: LoginSteps) -> impl IntoView {
    let LoginSteps {
        name,
        password,
        error,
        busy,
        pending,
        ..
    } = steps;
    let name_field = NodeRef::<leptos::html::Input>::new();
    focus_when_mounted(name_field);
    let submit_password = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let request = LoginRequest {
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            match api::login(&request).await {
                Ok(response) => {
                    let enrolment = match response.next {
                        LoginNext::Enrol => response.enrolment,
                        LoginNext::Totp => None,
                    };
                    password.set(String::new());
                    pending.set(Some((response.csrf_token, enrolment)));
                }
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    };
    let name_label = tr("Benutzername", "User name");
    let password_label = tr("Passwort", "Password");
    let next = tr("Weiter", "Continue");
    view! {
        <form class="form" on:submit=submit_password>
            <label for="login-name">{name_label}</label>
            <input
                id="login-name"
                node_ref=name_field
                type="text"
                autocomplete="username"
                required
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <label for="login-password">{password_label}</label>
            <input
                id="login-password"
                type="password"
                autocomplete="current-password"
                required
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <button type="submit" disabled=move || busy.get()>{next}</button>
        </form>
    }
}

/// At the first log-in: the QR code and the key that set up the
/// authenticator app (nothing when the second factor is set up already).
#[component]
fn Enrolment(steps: LoginSteps) -> impl IntoView {
    let enrol_title = tr("Zweiten Faktor einrichten", "Set up the second factor");
    let enrol_text = tr(
        "Scannen Sie den QR-Code mit einer Authenticator-App (TOTP) oder geben Sie den Schlüssel ein; geben Sie dann den angezeigten Code ein.",
        "Scan the QR code with an authenticator app (TOTP) or type in the key; then enter the code it shows.",
    );
    let key_label = tr("Schlüssel", "Key");
    move || {
        steps
            .pending
            .get()
            .and_then(|(_, enrolment)| enrolment)
            .map(|enrolment| {
                view! {
                    <section class="enrol" aria-labelledby="enrol-title">
                        <h2 id="enrol-title">{enrol_title}</h2>
                        <p>{enrol_text}</p>
                        <div class="enrol__qr" inner_html=enrolment.qr_svg.clone()></div>
                        <p>
                            {key_label} ": "
                            <code class="enrol__secret">{enrolment.secret.clone()}</code>
                        </p>
                    </section>
                }
            })
    }
}

/// The second step: the authenticator app's code. Accepted, the session
/// is active and the person goes on to the password change (an initial or
/// reset password) or to the role's home page, whose heading takes the
/// focus. An expired pending session, or an account that has to wait,
/// starts again from the password.
#[component]
fn CodeStep(steps: LoginSteps) -> impl IntoView {
    let LoginSteps {
        code,
        error,
        busy,
        pending,
        ..
    } = steps;
    let session = use_session();
    let navigate = use_navigate();
    let code_field = NodeRef::<leptos::html::Input>::new();
    focus_when_mounted(code_field);
    let submit_code = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((csrf, _)) = pending.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let typed = code.get_untracked();
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::second_factor(&csrf, &typed).await {
                Ok(info) => {
                    // An initial or reset password is replaced first.
                    let home = if info.password_change_required {
                        "/password"
                    } else {
                        home_of(info.role)
                    };
                    session.set(SessionState::Active(info));
                    // The next page's heading takes the focus (the form is gone).
                    focus_next_heading();
                    navigate(home, Default::default());
                }
                Err(failure) => {
                    // A pending session lasts five minutes; after that, or
                    // when the account waits, start again from the password.
                    if failure.status() != Some(401) || failure.retry_after().is_some() {
                        pending.set(None);
                    }
                    error.set(Some(failure));
                }
            }
            code.set(String::new());
            busy.set(false);
        });
    };
    let code_label = tr(
        "Code aus der Authenticator-App",
        "Code from the authenticator app",
    );
    let confirm = tr("Bestätigen", "Confirm");
    view! {
        <form class="form" on:submit=submit_code>
            <label for="login-code">{code_label}</label>
            <input
                id="login-code"
                node_ref=code_field
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}"
                required
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
            />
            <button type="submit" disabled=move || busy.get()>{confirm}</button>
        </form>
    }
}
