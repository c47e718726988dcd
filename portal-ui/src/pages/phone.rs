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
use verifier::job::JobSpec;
use verifier::phone::{
    self, PhoneState, days_by_hour, keys_to_submit, next_check, retry_after, risk_card,
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

#[component]
fn Phone(name: String) -> impl IntoView {
    let lang = use_lang();
    let mut initial = load(&name);
    initial.keep_keys(now(), shared::random::bytes::<16>);
    let state = RwSignal::new(initial);
    {
        let name = name.clone();
        Effect::new(move |_| state.with(|state| save(&name, state)));
    }

    // --- meeting other phones -------------------------------------------
    let days_ago = RwSignal::new("2".to_owned());
    let minutes = RwSignal::new("30".to_owned());
    let attenuation = RwSignal::new("50".to_owned());
    let met = RwSignal::new(Vec::<String>::new());
    let channel = web_sys::BroadcastChannel::new(CHANNEL).ok();
    let channel = StoredValue::new_local(channel);
    {
        let me = name.clone();
        let on_meeting = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
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
            },
        );
        channel.with_value(|channel| {
            if let Some(channel) = channel {
                channel.set_onmessage(Some(on_meeting.as_ref().unchecked_ref()));
            }
        });
        on_meeting.forget();
    }
    let meeting_of = move || -> Option<(u64, u64, u8)> {
        let days: u64 = days_ago.get_untracked().trim().parse().ok()?;
        let minutes: u64 = minutes.get_untracked().trim().parse().ok()?;
        let attenuation: u8 = attenuation.get_untracked().trim().parse().ok()?;
        (days <= phone::KEPT_DAYS && (1..=120).contains(&minutes)).then_some(())?;
        // Noon UTC of that day, so the whole meeting falls on one day.
        let start = (now() / phone::DAY).checked_sub(days)? * phone::DAY + 12 * 3_600;
        Some((start, minutes, attenuation))
    };
    let meeting_error = RwSignal::new(None::<&'static str>);
    let meet_tabs = {
        let me = name.clone();
        move |_| {
            let Some((start, minutes, attenuation)) = meeting_of() else {
                meeting_error.set(Some("bad"));
                return;
            };
            meeting_error.set(None);
            let beacons = state
                .with_untracked(|state| state.beacons_for_peer(start, minutes, attenuation))
                .unwrap_or_default();
            post_meeting(
                channel,
                &Meeting {
                    from: me.clone(),
                    start,
                    minutes,
                    attenuation,
                    beacons,
                    answer: true,
                },
            );
        }
    };
    let meet_generated = move |_| {
        let Some((start, minutes, attenuation)) = meeting_of() else {
            meeting_error.set(Some("bad"));
            return;
        };
        meeting_error.set(None);
        let mut peer = PhoneState::default();
        peer.keep_keys(now(), shared::random::bytes::<16>);
        if let Some(beacons) = peer.beacons_for_peer(start, minutes, attenuation) {
            state.update(|state| state.record(&beacons));
            met.update(|names| names.push("*".to_owned()));
        }
    };

    // --- the test ---------------------------------------------------------
    let guid = RwSignal::new(String::new());
    let teletan = RwSignal::new(String::new());
    let test_error = RwSignal::new(None::<ApiError>);
    let test_busy = RwSignal::new(false);
    let dob = RwSignal::new(String::new());
    let guid_problem = RwSignal::new(None::<GuidError>);
    let guid_field = NodeRef::<leptos::html::Input>::new();
    let dob_field = NodeRef::<leptos::html::Input>::new();
    let register = move |request: RegistrationTokenRequest| {
        test_busy.set(true);
        test_error.set(None);
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
                Err(error) => test_error.set(Some(error)),
            }
            test_busy.set(false);
        });
    };
    let register_guid = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        // QR content (`https://localhost/?GUID`) or a GUID, hashed here as the
        // apps hash it; with a date of birth, the date-of-birth id as well.
        match phone::registration_request(&guid.get_untracked(), &dob.get_untracked()) {
            Ok(request) => register(request),
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
                test_error.set(None);
                guid_problem.set(Some(problem));
            }
        }
    };
    let register_teletan = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text: String = teletan
            .get_untracked()
            .split_whitespace()
            .collect::<String>()
            .to_uppercase();
        if !text.is_empty() {
            register(RegistrationTokenRequest {
                key: text,
                key_type: KeyType::Teletan,
                key_dob: None,
            });
        }
    };
    let poll = move || {
        let Some(token) = state.with_untracked(|state| state.test.registration_token.clone())
        else {
            return;
        };
        test_busy.set(true);
        test_error.set(None);
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
                Err(error) => test_error.set(Some(error)),
            }
            test_busy.set(false);
        });
    };
    let get_tan = move |_| {
        let Some(token) = state.with_untracked(|state| state.test.registration_token.clone())
        else {
            return;
        };
        test_busy.set(true);
        test_error.set(None);
        spawn_local(async move {
            let body = RegistrationTokenBody {
                registration_token: token,
            };
            match api::app_post::<TanResponse, _>("/version/v1/tan", &body, false).await {
                Ok(response) => state.update(|state| state.test.tan = Some(response.tan)),
                Err(error) => test_error.set(Some(error)),
            }
            test_busy.set(false);
        });
    };
    let submit = move |_| {
        let Some(tan) = state.with_untracked(|state| state.test.tan.clone()) else {
            return;
        };
        test_busy.set(true);
        test_error.set(None);
        let payload =
            state.with_untracked(|state| submission_payload(keys_to_submit(state, now()), 0));
        spawn_local(async move {
            match api::submit_keys(&tan, payload, false).await {
                Ok(()) => state.update(|state| {
                    state.test.tan = None;
                    state.test.submitted_at = Some(now());
                }),
                Err(error) => test_error.set(Some(error)),
            }
            test_busy.set(false);
        });
    };

    // --- bundles, matching, risk ------------------------------------------
    let parameters = RwSignal::new(None::<RiskCalculationParameters>);
    let checking = RwSignal::new(false);
    let progress = RwSignal::new(None::<(usize, usize)>);
    let check_error = RwSignal::new(None::<String>);
    let invalid = RwSignal::new(Vec::<(String, String, String)>::new());
    let next_check_at = RwSignal::new(next_check(now(), js_sys::Math::random()));
    let worker = worker::PageWorker::new();
    let check_now = move || {
        if checking.get_untracked() {
            return;
        }
        checking.set(true);
        check_error.set(None);
        progress.set(Some((0, 1)));
        spawn_local(async move {
            match fetch_new_bundles(state, worker, lang.get_untracked()).await {
                Err(reason) => {
                    let failures = state.with_untracked(|state| state.failures) + 1;
                    state.update(|state| state.failures = failures);
                    next_check_at.set(now() + retry_after(failures, js_sys::Math::random()));
                    check_error.set(Some(reason));
                    checking.set(false);
                    progress.set(None);
                }
                Ok(fetched) => {
                    // The configuration's risk parameters, when it verifies.
                    if let Some(config) = fetched.config {
                        let request = Request::Config {
                            keys: fetched.keys.clone(),
                        };
                        if let WorkerMessage::Config(report) = worker.call(request, &[config]).await
                        {
                            parameters.set(Some(report.config.risk_calculation_parameters));
                        }
                    }
                    let spec = JobSpec {
                        keys: fetched.keys,
                        pasted_key: String::new(),
                        bundle_names: fetched.names.clone(),
                        log: shared::en::ObservationLog {
                            calibration_confidence: 0,
                            observations: state.with_untracked(|state| state.observations.clone()),
                        },
                        now: now(),
                        parameters: parameters.get_untracked(),
                    };
                    let finish = move |error: Option<String>| {
                        check_error.set(error);
                        progress.set(None);
                        checking.set(false);
                    };
                    let client = match worker.get() {
                        Ok(client) => client,
                        Err(reason) => return finish(Some(reason)),
                    };
                    client.send(
                        Request::Match(Box::new(spec)),
                        &fetched.bundles,
                        move |message| match message {
                            WorkerMessage::Progress(step) => {
                                progress.set(Some((step.done, step.total)))
                            }
                            WorkerMessage::Done(outcome) => {
                                let mut bad = Vec::new();
                                state.update(|state| {
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
                                invalid.set(bad);
                                next_check_at.set(next_check(now(), js_sys::Math::random()));
                                finish(None);
                            }
                            WorkerMessage::Failed(reason) => {
                                finish(Some(
                                    reason.describe(lang.get_untracked().language()).to_owned(),
                                ));
                            }
                            other => finish(Some(
                                worker::unexpected(&other)
                                    .describe(lang.get_untracked().language())
                                    .to_owned(),
                            )),
                        },
                    );
                }
            }
        });
    };
    let card = Memo::new(move |_| {
        let parameters = parameters.get().unwrap_or_else(shared::risk::defaults::v2);
        state.with(|state| risk_card(&state.windows, now(), &parameters))
    });

    // --- the clock: scheduled checks and fake requests --------------------
    let fake_at = RwSignal::new(now() + fake_delay());
    let poll_at = RwSignal::new(now() + 10);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let time = now();
            if time >= next_check_at.get_untracked() && !checking.get_untracked() {
                check_now();
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
            if pending && time >= poll_at.get_untracked() && !test_busy.get_untracked() {
                poll_at.set(time + 10);
                poll();
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }

    // --- the page -----------------------------------------------------------
    let title = tr("Telefon-Simulator", "Phone simulator");
    let intro = tr(
        "Diese Seite verhält sich wie die App auf einem Telefon: Schlüssel pro Tag, Begegnungen, Test, Warnung, Abgleich. Jede Prüfung läuft hier im Browser.",
        "This page behaves like the app on a phone: a key per day, encounters, test, warning, matching. Every check runs here in the browser.",
    );
    let name_for_view = name.clone();
    view! {
        <section class="card" aria-labelledby="phone-title">
            <h1 id="phone-title">{title}</h1>
            <p>{intro}</p>
            <p class="hint">{move || {
                let other = other_phone(&name_for_view);
                match lang.get() {
                    Lang::De => format!("Telefon „{name_for_view}“ – ein anderes Telefon: /phone?name={other} in einem weiteren Tab."),
                    Lang::En => format!("Phone “{name_for_view}” – another phone: /phone?name={other} in another tab."),
                }
            }}</p>
        </section>

        <section class="card risk-card" aria-labelledby="risk-card-title">
            <h2 id="risk-card-title">{tr("Risikostatus", "Risk status")}</h2>
            {move || {
                let lang = lang.get();
                match card.get() {
                    Err(reason) => view! { <p class="alert alert--error" role="alert">{reason}</p> }.into_any(),
                    Ok(card) => {
                        let (class, text) = match card.level {
                            RiskLevel::High => ("risk risk--high", lang.pick("Erhöhtes Risiko", "High risk")),
                            RiskLevel::Low => ("risk risk--low", lang.pick("Niedriges Risiko", "Low risk")),
                        };
                        let days = match (card.days_since_last_exposure, lang) {
                            (None, Lang::De) => "Keine Risiko-Begegnungen".to_owned(),
                            (None, Lang::En) => "No risk encounters".to_owned(),
                            (Some(0), Lang::De) => "Letzte Begegnung heute".to_owned(),
                            (Some(0), Lang::En) => "Last encounter today".to_owned(),
                            (Some(1), Lang::De) => "Letzte Begegnung vor 1 Tag".to_owned(),
                            (Some(1), Lang::En) => "Last encounter 1 day ago".to_owned(),
                            (Some(days), Lang::De) => format!("Letzte Begegnung vor {days} Tagen"),
                            (Some(days), Lang::En) => format!("Last encounter {days} days ago"),
                        };
                        view! {
                            <div class=class aria-label=lang.pick("Risikokarte", "Risk card")>
                                <p class="risk__level">{text}</p>
                                <p class="risk__days">{days}</p>
                            </div>
                        }.into_any()
                    }
                }
            }}
            <p class="hint">{move || {
                let lang = lang.get();
                let last = state.with(|state| state.last_check).map_or_else(
                    || lang.pick("noch nie", "never").to_owned(),
                    verifier::utc,
                );
                match lang {
                    Lang::De => format!("Zuletzt geprüft: {last}; nächste Prüfung: {}", verifier::utc(next_check_at.get())),
                    Lang::En => format!("Last checked: {last}; next check: {}", verifier::utc(next_check_at.get())),
                }
            }}</p>
            <button class="button button--primary" on:click=move |_| check_now() disabled=move || checking.get()>
                {tr("Jetzt nach Paketen suchen", "Check for bundles now")}
            </button>
            {move || progress.get().map(|(done, total)| view! {
                <label for="phone-progress">{tr("Abgleich", "Matching")}</label>
                <progress id="phone-progress" max={total.max(1)} value=done>{format!("{done}/{total}")}</progress>
            })}
            {move || check_error.get().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
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
                let names = met.get().join(", ");
                match lang.get() {
                    Lang::De => format!("{count} Beacons empfangen{}", if names.is_empty() { String::new() } else { format!(" (von {names})") }),
                    Lang::En => format!("{count} beacons received{}", if names.is_empty() { String::new() } else { format!(" (from {names})") }),
                }
            }}</p>
        </section>

        <section class="card" aria-labelledby="test-title">
            <h2 id="test-title">{tr("Test und Warnung", "Test and warning")}</h2>
            <form class="form form--inline" on:submit=register_guid>
                <label for="phone-guid">{tr("GUID oder QR-Inhalt", "GUID or QR content")}</label>
                <input id="phone-guid" type="text" autocomplete="off" node_ref=guid_field prop:value=move || guid.get() on:input=move |ev| guid.set(event_target_value(&ev)) />
                <label for="phone-dob">{tr("Geburtsdatum (optional)", "Date of birth (optional)")}</label>
                <input id="phone-dob" type="date" autocomplete="off" node_ref=dob_field prop:value=move || dob.get() on:input=move |ev| dob.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || test_busy.get()>{tr("Test registrieren", "Register test")}</button>
            </form>
            {move || guid_problem.get().map(|problem| view! {
                <p id="phone-guid-problem" class="alert alert--error" role="alert">{guid_problem_text(&problem, lang.get())}</p>
            })}
            <form class="form form--inline" on:submit=register_teletan>
                <label for="phone-teletan">{tr("teleTAN", "teleTAN")}</label>
                <input id="phone-teletan" type="text" autocomplete="off" prop:value=move || teletan.get() on:input=move |ev| teletan.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || test_busy.get()>{tr("teleTAN einlösen", "Redeem teleTAN")}</button>
            </form>
            <ErrorLine error=test_error />
            <p class="phone__test" role="status">{move || test_text(&state.with(|state| state.test.clone()), lang.get())}</p>
            <div class="form form--inline">
                <button class="button" on:click=move |_| poll() disabled=move || test_busy.get() || state.with(|state| state.test.registration_token.is_none())>
                    {tr("Ergebnis abfragen", "Poll result")}
                </button>
                <button class="button" on:click=get_tan disabled=move || test_busy.get() || state.with(|state| state.test.result != Some(2) || state.test.tan.is_some() || state.test.submitted_at.is_some())>
                    {tr("TAN anfordern", "Request TAN")}
                </button>
                <button class="button button--primary" on:click=submit disabled=move || test_busy.get() || state.with(|state| state.test.tan.is_none())>
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

fn post_meeting(
    channel: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
    meeting: &Meeting,
) {
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
