//! `/phone?name=…` (public, no log-in): a phone in a tab. It keeps one TEK
//! per day in the browser's storage (one phone per name), meets other
//! phones (other tabs, through a `BroadcastChannel`, or a generated peer)
//! and records their beacons, registers a test (QR content
//! `https://localhost/?GUID` or a GUID, with the date of birth when given,
//! as the official apps do; or a teleTAN), polls, gets a TAN and submits
//! its keys padded; it sends fake requests on a random schedule; it looks
//! for new bundles at a random minute of every hour (after failures:
//! random, growing waits), catches up on every bundle it has not matched
//! yet, and verifies and matches them in the verifier's Web Worker with a
//! progress bar, then shows the risk card.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use shared::en::observations::Observation;
use shared::paths;
use shared::risk::RiskLevel;
use shared::risk::v2::RiskCalculationParameters;
use shared::verification::GuidError;
use shared::verification::token::HashedGuid;
use shared::verification::wire::{
    KeyType, RegistrationTokenBody, RegistrationTokenRequest, RegistrationTokenResponse,
    TanResponse, TestResultResponse,
};
use verifier::job::{JobSpec, Outcome};
use verifier::phone::{
    self, PhoneState, RiskCard, days_by_hour, keys_to_submit, next_check, retry_after, risk_card,
    submission_payload,
};
use verifier::task::{Request, WorkerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::api::{self, ApiError};
use crate::components::error_line::ErrorLine;
use crate::i18n::{Lang, tr, use_lang};
use crate::worker;

const CHANNEL: &str = "warn-phones";

fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn storage_key(name: &str) -> String {
    format!("warn-phone:{name}")
}

fn load(name: &str) -> PhoneState {
    storage()
        .and_then(|storage| storage.get_item(&storage_key(name)).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn save(name: &str, state: &PhoneState) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(state)) {
        let _ = storage.set_item(&storage_key(name), &text);
    }
}

/// What phones tell each other over the `BroadcastChannel`: the beacons
/// the receiver would have heard from the sender, and whether to answer
/// with its own (the meeting is mutual).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meeting {
    from: String,
    start: u64,
    minutes: u64,
    attenuation: u8,
    beacons: Vec<Observation>,
    answer: bool,
}

/// The phone page.
#[component]
pub fn PhonePage() -> impl IntoView {
    let query = use_query_map();
    let name = query
        .with_untracked(|query| query.get("name"))
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "A".to_owned());
    view! { <Phone name=name /> }
}

/// The name the hint suggests for a second phone: never this one's.
fn other_phone(name: &str) -> &'static str {
    if name == "B" { "A" } else { "B" }
}

/// One phone, called `name`: its remembered state, the requests of its
/// test, its checks for bundles and the clock that runs both on their
/// schedule; on the page, an introduction and three cards (risk status,
/// encounters, test and warning).
#[component]
fn Phone(name: String) -> impl IntoView {
    let lang = use_lang();
    let state = remembered_state(&name);
    let test = TestRequests::new(state);
    let check = BundleCheck::new(state, lang);
    start_clock(state, check, test);
    view! {
        <PhoneIntro name=name.clone() />
        <RiskStatus check=check />
        <Encounters state=state name=name />
        <TestAndWarning test=test />
    }
}

/// The state the phone called `name` left in the browser's storage, with
/// its keys brought up to today (see [`PhoneState::keep_keys`]); every
/// change is saved back.
fn remembered_state(name: &str) -> RwSignal<PhoneState> {
    let mut initial = load(name);
    initial.keep_keys(now(), shared::random::bytes::<16>);
    let state = RwSignal::new(initial);
    let name = name.to_owned();
    Effect::new(move |_| state.with(|state| save(&name, state)));
    state
}

/// The phone's clock, ticking once a second while the page is open: it
/// starts a bundle check when one is due, sends a fake request when its
/// random time has come and polls a pending test every ten seconds.
fn start_clock(state: RwSignal<PhoneState>, check: BundleCheck, test: TestRequests) {
    let fake_at = RwSignal::new(now() + fake_delay());
    let poll_at = RwSignal::new(now() + 10);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let time = now();
            if time >= check.next_check_at.get_untracked() && !check.checking.get_untracked() {
                check.start();
            }
            if time >= fake_at.get_untracked() {
                fake_at.set(time + fake_delay());
                let count = state.with_untracked(|state| state.fakes_sent);
                spawn_local(send_fake(count));
                state.update(|state| state.fakes_sent += 1);
            }
            // A pending test is polled every ten seconds, as often as a demo needs.
            let pending = state.with_untracked(|state| {
                state.test.registration_token.is_some()
                    && matches!(state.test.result, None | Some(0))
            });
            if pending && time >= poll_at.get_untracked() && !test.busy.get_untracked() {
                poll_at.set(time + 10);
                test.poll();
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }
}

/// The page's first card: what the simulator does, and the address of a
/// second phone to open in another tab.
#[component]
fn PhoneIntro(name: String) -> impl IntoView {
    let lang = use_lang();
    let title = tr("Telefon-Simulator", "Phone simulator");
    let intro = tr(
        "Diese Seite verhält sich wie die App auf einem Telefon: Schlüssel pro Tag, Begegnungen, Test, Warnung, Abgleich. Jede Prüfung läuft hier im Browser.",
        "This page behaves like the app on a phone: a key per day, encounters, test, warning, matching. Every check runs here in the browser.",
    );
    view! {
        <section class="card" aria-labelledby="phone-title">
            <h1 id="phone-title">{title}</h1>
            <p>{intro}</p>
            <p class="hint">{move || {
                let other = other_phone(&name);
                match lang.get() {
                    Lang::De => format!("Telefon „{name}“ – ein anderes Telefon: /phone?name={other} in einem weiteren Tab."),
                    Lang::En => format!("Phone “{name}” – another phone: /phone?name={other} in another tab."),
                }
            }}</p>
        </section>
    }
}

// --- meeting other phones ---------------------------------------------------

/// The phones in the other tabs, reached through the `BroadcastChannel`
/// (none when the browser has no such channel).
type Channel = StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>;

/// The meeting the encounter form describes, as typed.
#[derive(Clone, Copy)]
struct MeetingForm {
    days_ago: RwSignal<String>,
    minutes: RwSignal<String>,
    attenuation: RwSignal<String>,
}

impl MeetingForm {
    /// Start (noon UTC of the day), minutes and attenuation of the typed
    /// meeting; none when a field is not a whole number in its range.
    fn meeting(self) -> Option<(u64, u64, u8)> {
        let days: u64 = self.days_ago.get_untracked().trim().parse().ok()?;
        let minutes: u64 = self.minutes.get_untracked().trim().parse().ok()?;
        let attenuation: u8 = self.attenuation.get_untracked().trim().parse().ok()?;
        (days <= phone::KEPT_DAYS && (1..=120).contains(&minutes)).then_some(())?;
        // Noon UTC of that day, so the whole meeting falls on one day.
        let start = (now() / phone::DAY).checked_sub(days)? * phone::DAY + 12 * 3_600;
        Some((start, minutes, attenuation))
    }
}

/// The encounters card: when, how long and how close a meeting was, a
/// meeting with the phones of the other tabs or with a generated phone,
/// and how many beacons this phone received from whom.
#[component]
fn Encounters(state: RwSignal<PhoneState>, name: String) -> impl IntoView {
    let lang = use_lang();
    let form = MeetingForm {
        days_ago: RwSignal::new("2".to_owned()),
        minutes: RwSignal::new("30".to_owned()),
        attenuation: RwSignal::new("50".to_owned()),
    };
    let met = RwSignal::new(Vec::<String>::new());
    let channel: Channel = StoredValue::new_local(web_sys::BroadcastChannel::new(CHANNEL).ok());
    answer_meetings(name.clone(), state, met, channel);
    let meeting_error = RwSignal::new(None::<&'static str>);
    // Either button first reads the form; a meeting it cannot describe is refused.
    let typed_meeting = move || {
        let meeting = form.meeting();
        meeting_error.set(meeting.is_none().then_some("bad"));
        meeting
    };
    let meet_tabs = move |_| {
        if let Some(meeting) = typed_meeting() {
            invite_tabs(&name, state, channel, meeting);
        }
    };
    let meet_generated = move |_| {
        if let Some(meeting) = typed_meeting() {
            meet_generated_phone(state, met, meeting);
        }
    };
    let MeetingForm {
        days_ago,
        minutes,
        attenuation,
    } = form;
    view! {
        <section class="card" aria-labelledby="meet-title">
            <h2 id="meet-title">{tr("Begegnungen", "Encounters")}</h2>
            <div class="form form--inline">
                <label for="meet-days">{tr("Vor Tagen", "Days ago")}</label>
                <input id="meet-days" type="number" min="0" max="14" prop:value=move || days_ago.get() on:input=move |ev| days_ago.set(event_target_value(&ev)) />
                <label for="meet-minutes">{tr("Minuten", "Minutes")}</label>
                <input id="meet-minutes" type="number" min="1" max="120" prop:value=move || minutes.get() on:input=move |ev| minutes.set(event_target_value(&ev)) />
                <label for="meet-attenuation">{tr("Dämpfung (dB)", "Attenuation (dB)")}</label>
                <input id="meet-attenuation" type="number" min="0" max="120" prop:value=move || attenuation.get() on:input=move |ev| attenuation.set(event_target_value(&ev)) />
            </div>
            <div class="form form--inline">
                <button class="button" on:click=meet_tabs>{tr("Andere Tabs treffen", "Meet the other tabs")}</button>
                <button class="button" on:click=meet_generated>{tr("Erzeugtes Telefon treffen", "Meet a generated phone")}</button>
            </div>
            {move || meeting_error.get().map(|_| view! {
                <p class="alert alert--error" role="alert">{tr("Bitte ganze Zahlen: 0–14 Tage, 1–120 Minuten, 0–120 dB.", "Please whole numbers: 0–14 days, 1–120 minutes, 0–120 dB.")}</p>
            })}
            <p class="phone__observations" role="status">{move || {
                let count = state.with(|state| state.observations.len());
                beacons_received_text(count, &met.get(), lang.get())
            }}</p>
        </section>
    }
}

/// "N beacons received (from A, B)", in `lang`.
fn beacons_received_text(count: usize, met: &[String], lang: Lang) -> String {
    let names = met.join(", ");
    match lang {
        Lang::De => format!(
            "{count} Beacons empfangen{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" (von {names})")
            }
        ),
        Lang::En => format!(
            "{count} beacons received{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" (from {names})")
            }
        ),
    }
}

/// Listens on `channel` for the meetings other tabs announce: records the
/// beacons they sent, adds the sender to `met` and, when asked, answers
/// with this phone's beacons of the same meeting (a meeting is mutual).
fn answer_meetings(
    me: String,
    state: RwSignal<PhoneState>,
    met: RwSignal<Vec<String>>,
    channel: Channel,
) {
    let on_meeting =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(meeting) = event
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<Meeting>(&text).ok())
            else {
                return;
            };
            if meeting.from == me {
                return;
            }
            state.update(|state| state.record(&meeting.beacons));
            met.update(|names| names.push(meeting.from.clone()));
            if meeting.answer {
                let answer = state.with_untracked(|state| {
                    state.beacons_for_peer(meeting.start, meeting.minutes, meeting.attenuation)
                });
                if let Some(beacons) = answer {
                    let reply = Meeting {
                        from: me.clone(),
                        beacons,
                        answer: false,
                        ..meeting
                    };
                    post_meeting(channel, &reply);
                }
            }
        });
    channel.with_value(|channel| {
        if let Some(channel) = channel {
            channel.set_onmessage(Some(on_meeting.as_ref().unchecked_ref()));
        }
    });
    on_meeting.forget();
}

/// Announces a meeting to the other tabs: the beacons they would have heard
/// from this phone, asking for theirs in return.
fn invite_tabs(
    me: &str,
    state: RwSignal<PhoneState>,
    channel: Channel,
    (start, minutes, attenuation): (u64, u64, u8),
) {
    let beacons = state
        .with_untracked(|state| state.beacons_for_peer(start, minutes, attenuation))
        .unwrap_or_default();
    post_meeting(
        channel,
        &Meeting {
            from: me.to_owned(),
            start,
            minutes,
            attenuation,
            beacons,
            answer: true,
        },
    );
}

/// Meets a phone made up on the spot (fresh keys, never seen again): records
/// its beacons and counts it as `*` among the phones met.
fn meet_generated_phone(
    state: RwSignal<PhoneState>,
    met: RwSignal<Vec<String>>,
    (start, minutes, attenuation): (u64, u64, u8),
) {
    let mut peer = PhoneState::default();
    peer.keep_keys(now(), shared::random::bytes::<16>);
    if let Some(beacons) = peer.beacons_for_peer(start, minutes, attenuation) {
        state.update(|state| state.record(&beacons));
        met.update(|names| names.push("*".to_owned()));
    }
}

// --- the test -----------------------------------------------------------------

/// The test's requests to the verification service and what they share:
/// the phone's state they update, whether one is under way (the buttons
/// wait for it) and why the last one failed.
#[derive(Clone, Copy)]
struct TestRequests {
    state: RwSignal<PhoneState>,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// Why the typed GUID, QR content or date of birth cannot be registered.
    guid_problem: RwSignal<Option<GuidError>>,
}

impl TestRequests {
    /// No request under way yet.
    fn new(state: RwSignal<PhoneState>) -> Self {
        Self {
            state,
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            guid_problem: RwSignal::new(None),
        }
    }

    /// Registers a test (a hashed GUID or a teleTAN); its registration
    /// token starts the phone's test afresh.
    fn register(self, request: RegistrationTokenRequest) {
        let Self {
            state,
            busy,
            error,
            guid_problem,
        } = self;
        busy.set(true);
        error.set(None);
        guid_problem.set(None);
        spawn_local(async move {
            match api::app_post::<RegistrationTokenResponse, _>(
                "/version/v1/registrationToken",
                &request,
                false,
            )
            .await
            {
                Ok(response) => state.update(|state| {
                    state.test = phone::TestState {
                        registration_token: Some(response.registration_token),
                        ..Default::default()
                    };
                }),
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    }
}

impl TestRequests {
    /// Asks for the registered test's result (nothing without a test).
    fn poll(self) {
        let Self {
            state, busy, error, ..
        } = self;
        let Some(token) = state.with_untracked(|state| state.test.registration_token.clone())
        else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let body = RegistrationTokenBody {
                registration_token: token,
            };
            match api::app_post::<TestResultResponse, _>("/version/v1/testresult", &body, false)
                .await
            {
                Ok(response) => {
                    state.update(|state| state.test.result = Some(response.test_result.code()))
                }
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    }

    /// Asks for the TAN of the registered test (the server gives one only
    /// for a positive result).
    fn request_tan(self) {
        let Self {
            state, busy, error, ..
        } = self;
        let Some(token) = state.with_untracked(|state| state.test.registration_token.clone())
        else {
            return;
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let body = RegistrationTokenBody {
                registration_token: token,
            };
            match api::app_post::<TanResponse, _>("/version/v1/tan", &body, false).await {
                Ok(response) => state.update(|state| state.test.tan = Some(response.tan)),
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    }

    /// Submits the phone's keys, padded, with the TAN, which that spends;
    /// the phone remembers when it warned.
    fn submit_keys(self) {
        let Self {
            state, busy, error, ..
        } = self;
        let Some(tan) = state.with_untracked(|state| state.test.tan.clone()) else {
            return;
        };
        busy.set(true);
        error.set(None);
        let payload =
            state.with_untracked(|state| submission_payload(keys_to_submit(state, now()), 0));
        spawn_local(async move {
            match api::submit_keys(&tan, payload, false).await {
                Ok(()) => state.update(|state| {
                    state.test.tan = None;
                    state.test.submitted_at = Some(now());
                }),
                Err(failure) => error.set(Some(failure)),
            }
            busy.set(false);
        });
    }
}

/// The test-and-warning card: registering a test, its state, the buttons
/// that poll it, ask for the TAN and warn others, and how many fake
/// requests the phone has sent to hide the real ones.
#[component]
fn TestAndWarning(test: TestRequests) -> impl IntoView {
    let lang = use_lang();
    let TestRequests { state, busy, .. } = test;
    view! {
        <section class="card" aria-labelledby="test-title">
            <h2 id="test-title">{tr("Test und Warnung", "Test and warning")}</h2>
            <RegisterGuid test=test />
            <RegisterTeleTan test=test />
            <ErrorLine error=test.error />
            <p class="phone__test" role="status">{move || test_text(&state.with(|state| state.test.clone()), lang.get())}</p>
            <div class="form form--inline">
                <button class="button" on:click=move |_| test.poll() disabled=move || busy.get() || state.with(|state| state.test.registration_token.is_none())>
                    {tr("Ergebnis abfragen", "Poll result")}
                </button>
                <button class="button" on:click=move |_| test.request_tan() disabled=move || busy.get() || state.with(|state| state.test.result != Some(2) || state.test.tan.is_some() || state.test.submitted_at.is_some())>
                    {tr("TAN anfordern", "Request TAN")}
                </button>
                <button class="button button--primary" on:click=move |_| test.submit_keys() disabled=move || busy.get() || state.with(|state| state.test.tan.is_none())>
                    {tr("Andere warnen", "Warn others")}
                </button>
            </div>
            <p class="hint">{move || {
                let count = state.with(|state| state.fakes_sent);
                match lang.get() {
                    Lang::De => format!("{count} Scheinanfragen gesendet (zufälliger Zeitplan, wie die App)"),
                    Lang::En => format!("{count} fake requests sent (random schedule, as the app does)"),
                }
            }}</p>
        </section>
    }
}

/// The form that registers a test by GUID or QR content
/// (`https://localhost/?GUID`), hashed here as the apps hash it, with the
/// date-of-birth id as well when a date of birth is given; below it, why
/// what was typed cannot be registered, with the focus on the field to
/// correct.
#[component]
fn RegisterGuid(test: TestRequests) -> impl IntoView {
    let lang = use_lang();
    let TestRequests {
        busy, guid_problem, ..
    } = test;
    let guid = RwSignal::new(String::new());
    let dob = RwSignal::new(String::new());
    let guid_field = NodeRef::<leptos::html::Input>::new();
    let dob_field = NodeRef::<leptos::html::Input>::new();
    let register_guid = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match phone::registration_request(&guid.get_untracked(), &dob.get_untracked()) {
            Ok(request) => test.register(request),
            Err(problem) => {
                // The message, and the focus on the field to correct.
                let field = if problem == GuidError::DateOfBirth {
                    dob_field
                } else {
                    guid_field
                };
                if let Some(field) = field.get_untracked() {
                    let _ = field.focus();
                }
                test.error.set(None);
                guid_problem.set(Some(problem));
            }
        }
    };
    view! {
        <form class="form form--inline" on:submit=register_guid>
            <label for="phone-guid">{tr("GUID oder QR-Inhalt", "GUID or QR content")}</label>
            <input id="phone-guid" type="text" autocomplete="off" node_ref=guid_field prop:value=move || guid.get() on:input=move |ev| guid.set(event_target_value(&ev)) />
            <label for="phone-dob">{tr("Geburtsdatum (optional)", "Date of birth (optional)")}</label>
            <input id="phone-dob" type="date" autocomplete="off" node_ref=dob_field prop:value=move || dob.get() on:input=move |ev| dob.set(event_target_value(&ev)) />
            <button type="submit" disabled=move || busy.get()>{tr("Test registrieren", "Register test")}</button>
        </form>
        {move || guid_problem.get().map(|problem| view! {
            <p id="phone-guid-problem" class="alert alert--error" role="alert">{guid_problem_text(&problem, lang.get())}</p>
        })}
    }
}

/// The form that registers a test by teleTAN (spaces dropped, upper case,
/// as the apps accept it; an empty field sends nothing).
#[component]
fn RegisterTeleTan(test: TestRequests) -> impl IntoView {
    let teletan = RwSignal::new(String::new());
    let register_teletan = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text: String = teletan
            .get_untracked()
            .split_whitespace()
            .collect::<String>()
            .to_uppercase();
        if !text.is_empty() {
            test.register(RegistrationTokenRequest {
                key: text,
                key_type: KeyType::Teletan,
                key_dob: None,
            });
        }
    };
    view! {
        <form class="form form--inline" on:submit=register_teletan>
            <label for="phone-teletan">{tr("teleTAN", "teleTAN")}</label>
            <input id="phone-teletan" type="text" autocomplete="off" prop:value=move || teletan.get() on:input=move |ev| teletan.set(event_target_value(&ev)) />
            <button type="submit" disabled=move || test.busy.get()>{tr("teleTAN einlösen", "Redeem teleTAN")}</button>
        </form>
    }
}

// --- bundles, matching, risk ----------------------------------------------------

/// Looking for new bundles and matching them in the verifier's worker: the
/// risk parameters of the last configuration that verified, whether a check
/// runs and how far it got, why it failed, which bundles did not verify
/// and when the next check is due.
#[derive(Clone, Copy)]
struct BundleCheck {
    state: RwSignal<PhoneState>,
    lang: RwSignal<Lang>,
    worker: worker::PageWorker,
    parameters: RwSignal<Option<RiskCalculationParameters>>,
    checking: RwSignal<bool>,
    progress: RwSignal<Option<(usize, usize)>>,
    error: RwSignal<Option<String>>,
    /// The bundles that did not verify: path, German and English reason.
    invalid: RwSignal<Vec<(String, String, String)>>,
    next_check_at: RwSignal<u64>,
}

impl BundleCheck {
    /// No check yet; the first one is due at a random minute of the next hour.
    fn new(state: RwSignal<PhoneState>, lang: RwSignal<Lang>) -> Self {
        Self {
            state,
            lang,
            worker: worker::PageWorker::new(),
            parameters: RwSignal::new(None),
            checking: RwSignal::new(false),
            progress: RwSignal::new(None),
            error: RwSignal::new(None),
            invalid: RwSignal::new(Vec::new()),
            next_check_at: RwSignal::new(next_check(now(), js_sys::Math::random())),
        }
    }

    /// Starts a check unless one runs: downloads what is new, verifies the
    /// configuration, then verifies and matches the bundles in the worker.
    fn start(self) {
        if self.checking.get_untracked() {
            return;
        }
        self.checking.set(true);
        self.error.set(None);
        self.progress.set(Some((0, 1)));
        spawn_local(async move {
            match fetch_new_bundles(self.state, self.worker, self.lang.get_untracked()).await {
                Err(reason) => self.retry_later(reason),
                Ok(mut fetched) => {
                    self.adopt_config(&fetched.keys, fetched.config.take())
                        .await;
                    self.match_bundles(fetched);
                }
            }
        });
    }

    /// After a failed download: the reason, and the next try after a random
    /// wait that grows with each failure in a row.
    fn retry_later(self, reason: String) {
        let failures = self.state.with_untracked(|state| state.failures) + 1;
        self.state.update(|state| state.failures = failures);
        self.next_check_at
            .set(now() + retry_after(failures, js_sys::Math::random()));
        self.error.set(Some(reason));
        self.checking.set(false);
        self.progress.set(None);
    }

    /// Verifies the downloaded configuration in the worker and, when it
    /// verifies, scores with its risk parameters from now on.
    async fn adopt_config(self, keys: &[verifier::keys::PublishedKey], config: Option<Vec<u8>>) {
        if let Some(config) = config {
            let request = Request::Config {
                keys: keys.to_vec(),
            };
            if let WorkerMessage::Config(report) = self.worker.call(request, &[config]).await {
                self.parameters
                    .set(Some(report.config.risk_calculation_parameters));
            }
        }
    }

    /// Sends the bundles to the worker, which verifies them and matches
    /// their keys against the beacons received; its progress moves the bar
    /// and its last answer ends the check.
    fn match_bundles(self, fetched: Fetched) {
        let spec = JobSpec {
            keys: fetched.keys,
            pasted_key: String::new(),
            bundle_names: fetched.names.clone(),
            log: shared::en::ObservationLog {
                calibration_confidence: 0,
                observations: self
                    .state
                    .with_untracked(|state| state.observations.clone()),
            },
            now: now(),
            parameters: self.parameters.get_untracked(),
        };
        let client = match self.worker.get() {
            Ok(client) => client,
            Err(reason) => return self.finish(Some(reason)),
        };
        let language = move || self.lang.get_untracked().language();
        client.send(
            Request::Match(Box::new(spec)),
            &fetched.bundles,
            move |message| match message {
                WorkerMessage::Progress(step) => self.progress.set(Some((step.done, step.total))),
                WorkerMessage::Done(outcome) => self.record(&outcome),
                WorkerMessage::Failed(reason) => {
                    self.finish(Some(reason.describe(language()).to_owned()));
                }
                other => self.finish(Some(
                    worker::unexpected(&other).describe(language()).to_owned(),
                )),
            },
        );
    }

    /// A finished match: the valid bundles are done and their windows kept,
    /// the invalid ones listed with their reasons; the next check at a
    /// random minute of the next hour.
    fn record(self, outcome: &Outcome) {
        let mut bad = Vec::new();
        self.state.update(|state| {
            for bundle in &outcome.bundles {
                if bundle.valid {
                    state.bundles_done.insert(bundle.name.clone());
                } else {
                    bad.push((
                        bundle.name.clone(),
                        bundle.reason_german.clone().unwrap_or_default(),
                        bundle.reason_english.clone().unwrap_or_default(),
                    ));
                }
            }
            state.add_windows(&outcome.windows);
            state.last_check = Some(now());
            state.failures = 0;
        });
        self.invalid.set(bad);
        self.next_check_at
            .set(next_check(now(), js_sys::Math::random()));
        self.finish(None);
    }

    /// Ends the check, with the reason it failed when it did.
    fn finish(self, error: Option<String>) {
        self.error.set(error);
        self.progress.set(None);
        self.checking.set(false);
    }
}

/// The risk-status card: the risk card of the matched windows (scored with
/// the verified configuration's parameters, else the defaults), when the
/// phone last looked for bundles and will next, the button to look now,
/// and the running check's progress and problems.
#[component]
fn RiskStatus(check: BundleCheck) -> impl IntoView {
    let lang = use_lang();
    let BundleCheck {
        state,
        parameters,
        checking,
        progress,
        error,
        invalid,
        next_check_at,
        ..
    } = check;
    let card = Memo::new(move |_| {
        let parameters = parameters.get().unwrap_or_else(shared::risk::defaults::v2);
        state.with(|state| risk_card(&state.windows, now(), &parameters))
    });
    view! {
        <section class="card risk-card" aria-labelledby="risk-card-title">
            <h2 id="risk-card-title">{tr("Risikostatus", "Risk status")}</h2>
            {move || risk_card_view(card.get(), lang.get())}
            <p class="hint">{move || {
                check_times_text(state.with(|state| state.last_check), next_check_at.get(), lang.get())
            }}</p>
            <button class="button button--primary" on:click=move |_| check.start() disabled=move || checking.get()>
                {tr("Jetzt nach Paketen suchen", "Check for bundles now")}
            </button>
            {move || progress.get().map(|(done, total)| view! {
                <label for="phone-progress">{tr("Abgleich", "Matching")}</label>
                <progress id="phone-progress" max={total.max(1)} value=done>{format!("{done}/{total}")}</progress>
            })}
            {move || error.get().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
            {move || {
                let lang = lang.get();
                let bad = invalid.get();
                (!bad.is_empty()).then(|| view! {
                    <ul class="alert alert--error">
                        {bad.into_iter().map(|(path, german, english)| view! {
                            <li>{format!("{path}: {}", if lang == Lang::De { german } else { english })}</li>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

/// The risk card itself: the risk level, in its colour, and the days since
/// the last risk encounter; or why the windows could not be scored.
fn risk_card_view(card: Result<RiskCard, String>, lang: Lang) -> AnyView {
    match card {
        Err(reason) => view! { <p class="alert alert--error" role="alert">{reason}</p> }.into_any(),
        Ok(card) => {
            let (class, text) = match card.level {
                RiskLevel::High => ("risk risk--high", lang.pick("Erhöhtes Risiko", "High risk")),
                RiskLevel::Low => ("risk risk--low", lang.pick("Niedriges Risiko", "Low risk")),
            };
            let days = last_encounter_text(card.days_since_last_exposure, lang);
            view! {
                <div class=class aria-label=lang.pick("Risikokarte", "Risk card")>
                    <p class="risk__level">{text}</p>
                    <p class="risk__days">{days}</p>
                </div>
            }
            .into_any()
        }
    }
}

/// "Last encounter N days ago" (or none), in `lang`.
fn last_encounter_text(days_since_last_exposure: Option<u32>, lang: Lang) -> String {
    match (days_since_last_exposure, lang) {
        (None, Lang::De) => "Keine Risiko-Begegnungen".to_owned(),
        (None, Lang::En) => "No risk encounters".to_owned(),
        (Some(0), Lang::De) => "Letzte Begegnung heute".to_owned(),
        (Some(0), Lang::En) => "Last encounter today".to_owned(),
        (Some(1), Lang::De) => "Letzte Begegnung vor 1 Tag".to_owned(),
        (Some(1), Lang::En) => "Last encounter 1 day ago".to_owned(),
        (Some(days), Lang::De) => format!("Letzte Begegnung vor {days} Tagen"),
        (Some(days), Lang::En) => format!("Last encounter {days} days ago"),
    }
}

/// When the phone last looked for bundles (or never) and when it will
/// next, in `lang`.
fn check_times_text(last_check: Option<u64>, next_check_at: u64, lang: Lang) -> String {
    let last = last_check.map_or_else(|| lang.pick("noch nie", "never").to_owned(), verifier::utc);
    match lang {
        Lang::De => format!(
            "Zuletzt geprüft: {last}; nächste Prüfung: {}",
            verifier::utc(next_check_at)
        ),
        Lang::En => format!(
            "Last checked: {last}; next check: {}",
            verifier::utc(next_check_at)
        ),
    }
}

/// Why the typed GUID, QR content or date of birth cannot be registered.
fn guid_problem_text(problem: &GuidError, lang: Lang) -> String {
    match (problem, lang) {
        (GuidError::Missing, Lang::De) => "Bitte die GUID oder den QR-Inhalt eingeben.".into(),
        (GuidError::QrContent, Lang::De) => {
            "Der QR-Inhalt muss https://localhost/? und eine GUID wie 3D6D08-3567F3F2-4DCF-43A3-8737-4CD1F87D6FDA sein.".into()
        }
        (GuidError::Characters, Lang::De) => {
            "Die GUID enthält Leerzeichen oder nicht druckbare Zeichen oder ist länger als 128 Zeichen.".into()
        }
        (GuidError::DateOfBirth, Lang::De) => "Das Geburtsdatum ist kein gültiges Datum.".into(),
        (GuidError::TestId, Lang::De) => "Die Kennung ist ungültig.".into(),
        (problem, Lang::En) => {
            let text = problem.to_string();
            let mut chars = text.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect::<String>() + "."
            })
        }
    }
}

/// Sends `meeting` to the phones in the other tabs.
fn post_meeting(channel: Channel, meeting: &Meeting) {
    if let Ok(text) = serde_json::to_string(meeting) {
        channel.with_value(|channel| {
            if let Some(channel) = channel {
                let _ = channel.post_message(&JsValue::from_str(&text));
            }
        });
    }
}

fn test_text(test: &phone::TestState, lang: Lang) -> String {
    let result = |code: u8| match (code, lang) {
        (0, Lang::De) => "ausstehend",
        (0, Lang::En) => "pending",
        (1, Lang::De) => "negativ",
        (1, Lang::En) => "negative",
        (2, Lang::De) => "positiv",
        (2, Lang::En) => "positive",
        (3, Lang::De) => "ungültig",
        (3, Lang::En) => "invalid",
        (_, Lang::De) => "abgelaufen",
        (_, Lang::En) => "redeemed",
    };
    match (test, lang) {
        (
            phone::TestState {
                submitted_at: Some(_),
                ..
            },
            Lang::De,
        ) => "Schlüssel geteilt: andere werden gewarnt.".into(),
        (
            phone::TestState {
                submitted_at: Some(_),
                ..
            },
            Lang::En,
        ) => "Keys shared: others are warned.".into(),
        (phone::TestState { tan: Some(_), .. }, Lang::De) => {
            "TAN erhalten: bereit zum Warnen.".into()
        }
        (phone::TestState { tan: Some(_), .. }, Lang::En) => "TAN received: ready to warn.".into(),
        (
            phone::TestState {
                registration_token: None,
                ..
            },
            Lang::De,
        ) => "Kein Test registriert.".into(),
        (
            phone::TestState {
                registration_token: None,
                ..
            },
            Lang::En,
        ) => "No test registered.".into(),
        (
            phone::TestState {
                result: Some(code), ..
            },
            Lang::De,
        ) => format!("Test registriert, Ergebnis: {}", result(*code)),
        (
            phone::TestState {
                result: Some(code), ..
            },
            Lang::En,
        ) => format!("Test registered, result: {}", result(*code)),
        (_, Lang::De) => "Test registriert, Ergebnis: noch nicht abgefragt".into(),
        (_, Lang::En) => "Test registered, result: not polled yet".into(),
    }
}

/// Seconds until the next fake request: 1 to 10 minutes, at random.
fn fake_delay() -> u64 {
    60 + (js_sys::Math::random() * 540.0) as u64
}

/// One fake request, of the kinds a phone sends in turn; the answer is
/// ignored (the server answers fakes like real requests).
async fn send_fake(count: u32) {
    let token = shared::verification::token::Uuid4::generate()
        .expose()
        .to_owned();
    let body = RegistrationTokenBody {
        registration_token: token.clone(),
    };
    let _ = match count % 4 {
        0 => api::app_post::<serde_json::Value, _>(
            "/version/v1/registrationToken",
            &RegistrationTokenRequest {
                key: HashedGuid::from_guid(&token).expose().to_owned(),
                key_type: KeyType::Guid,
                key_dob: None,
            },
            true,
        )
        .await
        .map(|_| ()),
        1 => api::app_post::<serde_json::Value, _>("/version/v1/testresult", &body, true)
            .await
            .map(|_| ()),
        2 => api::app_post::<serde_json::Value, _>("/version/v1/tan", &body, true)
            .await
            .map(|_| ()),
        _ => api::submit_keys(&token, submission_payload(Vec::new(), 0), true).await,
    };
}

/// The files in the batch whose first file is `bytes` (1 when it is not
/// valid or not readable: then the job reports why).
async fn batch_size(
    worker: worker::PageWorker,
    keys: &[verifier::keys::PublishedKey],
    name: &str,
    bytes: &[u8],
) -> i32 {
    let request = Request::Check {
        keys: keys.to_vec(),
        pasted_key: String::new(),
        sources: vec![name.to_owned()],
    };
    match worker.call(request, &[bytes.to_vec()]).await {
        WorkerMessage::Checked { reports } => reports
            .first()
            .filter(|report| report.outcome.is_ok())
            .and_then(|report| report.summary.as_ref())
            .map_or(1, |summary| summary.batch_size),
        _ => 1,
    }
}

/// What a check downloads before the worker runs.
struct Fetched {
    keys: Vec<verifier::keys::PublishedKey>,
    /// The signed application configuration (its risk parameters are
    /// used when the worker verifies it).
    config: Option<Vec<u8>>,
    names: Vec<String>,
    bundles: Vec<Vec<u8>>,
}

/// Downloads the keys, the configuration (verified in the worker; its risk
/// parameters used when valid) and every bundle not matched yet: the daily bundles of
/// the complete days, the hourly bundles of the days after them.
async fn fetch_new_bundles(
    state: RwSignal<PhoneState>,
    worker: worker::PageWorker,
    lang: Lang,
) -> Result<Fetched, String> {
    let text = |error: ApiError| error.describe(lang);
    let keys = api::published_keys().await.map_err(text)?;
    let config = api::bytes(&paths::url(&paths::app_config_android("v2")))
        .await
        .ok();
    let done = state.with_untracked(|state| state.bundles_done.clone());
    let listed = match api::home_country().await {
        Ok(home) => bundle_paths(&home).await.map_err(text)?,
        // No run yet: nothing is published.
        Err(error) if error.status() == Some(404) => Vec::new(),
        Err(error) => return Err(text(error)),
    };
    let mut names = Vec::with_capacity(listed.len());
    let mut bundles = Vec::with_capacity(listed.len());
    // A matched first file was matched with the rest of its batch.
    for first in listed.into_iter().filter(|name| !done.contains(name)) {
        let bytes = api::bytes(&first).await.map_err(text)?;
        // The first file of a batch names the batch's size; the others are
        // at `/batch/N` (the worker reads the header).
        let batch_size = batch_size(worker, &keys, &first, &bytes).await;
        names.push(first.clone());
        bundles.push(bytes);
        for batch in 2..=u32::try_from(batch_size).unwrap_or(1) {
            let name = paths::batch_file(&first, batch);
            if !done.contains(&name) {
                bundles.push(api::bytes(&name).await.map_err(text)?);
                names.push(name);
            }
        }
    }
    Ok(Fetched {
        keys,
        config,
        names,
        bundles,
    })
}

/// The URL of every bundle of `home` the indexes name: the daily bundles of
/// the complete days, the hourly bundles of the days after them.
async fn bundle_paths(home: &str) -> Result<Vec<String>, ApiError> {
    let dates: Vec<String> =
        match api::distribution_index(&paths::url(&paths::date_index(home))).await {
            Ok(dates) => dates,
            Err(error) if error.status() == Some(404) => Vec::new(),
            Err(error) => return Err(error),
        };
    let mut names: Vec<String> = dates
        .iter()
        .map(|date| paths::url(&paths::day_bundle(home, date, 1)))
        .collect();
    // Not tomorrow: its hour index cannot exist yet.
    let tomorrow = shared::en::matching::date_of_day(now() / 86_400 + 1);
    for date in days_by_hour(&dates, now())
        .into_iter()
        .filter(|date| *date != tomorrow)
    {
        let hours: Vec<u32> =
            match api::distribution_index(&paths::url(&paths::hour_index(home, &date))).await {
                Ok(hours) => hours,
                Err(error) if error.status() == Some(404) => Vec::new(),
                Err(error) => return Err(error),
            };
        names.extend(
            hours
                .into_iter()
                .map(|hour| paths::url(&paths::hour_bundle(home, &date, hour, 1))),
        );
    }
    Ok(names)
}
