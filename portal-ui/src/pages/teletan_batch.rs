//! Part of `/teletan` for health officers: a batch of up to 50 teleTANs as
//! a sheet to print (the print style shows only the sheet) and as CSV.
//!
//! The per-user interval counts a batch as one issue: when it applies,
//! nothing is issued and the page says in how many seconds the next batch
//! is possible. The global hourly limit counts every teleTAN: when it runs
//! out during a batch, the sheet holds the teleTANs that were issued and the
//! page says how many of how many, and when the next teleTAN is possible.
//!
//! Like the single teleTAN, the sheet is shown with a countdown and hidden
//! (and forgotten, CSV included) ten minutes after issuing, so a sheet left
//! on a screen does not keep showing teleTANs.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::portal::{MAX_TELETAN_BATCH, Role, TeleTanBatch};

use crate::api::{self, ApiError};
use crate::components::download::download;
use crate::components::error_line::ErrorLine;
use crate::components::spelling::grouped;
use crate::components::time::{Shown, utc_rfc3339, when};
use crate::i18n::{Lang, tr, use_lang};
use crate::session::use_session;

/// How long a sheet stays on screen, in seconds: the ten minutes of the
/// single teleTAN (`pages::teletan`).
const SHOWN_FOR: f64 = 600.0;

/// An issued batch on screen.
#[derive(Clone)]
struct Sheet {
    answer: TeleTanBatch,
    /// Unix seconds of the request, printed on the sheet and in the CSV.
    issued_at: i64,
    /// Milliseconds (`Date.now()`) when the answer arrived; the countdown
    /// runs from here.
    shown_at: f64,
}

/// Seconds the sheet shown since `shown_at` stays visible at `now` (both in
/// milliseconds); `None` once it is to be hidden.
fn seconds_left(shown_at: f64, now: f64) -> Option<f64> {
    Some((SHOWN_FOR - (now - shown_at) / 1000.0).ceil()).filter(|seconds| *seconds > 0.0)
}

/// The batch section; shown to health officers only (the server checks too).
#[component]
pub fn BatchIssuer() -> impl IntoView {
    let session = use_session();
    let officer = move || {
        session.with(|state| {
            state
                .info()
                .is_some_and(|info| info.role == Role::HealthOfficer)
        })
    };
    view! { <Show when=officer><BatchForm /></Show> }
}

#[component]
fn BatchForm() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let count = RwSignal::new(String::from("10"));
    let batch = RwSignal::new(None::<Sheet>);
    // (issued, requested) when the hourly limit cut the last batch short;
    // kept apart from the sheet, which is forgotten after ten minutes.
    let cut = RwSignal::new(None::<(usize, u32)>);
    let hidden = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let next_possible_at = RwSignal::new(None::<f64>);
    let busy = RwSignal::new(false);
    let now = RwSignal::new(js_sys::Date::now());
    // Ticks every second: the countdowns, and the sheet's end.
    let tick = move || {
        let at = js_sys::Date::now();
        now.set(at);
        let over = batch.with_untracked(|sheet| {
            sheet
                .as_ref()
                .is_some_and(|sheet| seconds_left(sheet.shown_at, at).is_none())
        });
        if over {
            batch.set(None);
            hidden.set(true);
        }
    };
    if let Ok(handle) = set_interval_with_handle(tick, Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    let wait = move || {
        next_possible_at
            .get()
            .map(|at| ((at - now.get()) / 1000.0).ceil())
            .filter(|seconds| *seconds > 0.0)
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let requested = match count.get_untracked().trim().parse::<u32>() {
            Ok(n) if (1..=MAX_TELETAN_BATCH).contains(&n) => n,
            _ => {
                error.set(Some(ApiError::Status {
                    status: 400,
                    message: Some(format!("1 – {MAX_TELETAN_BATCH}")),
                    code: Some("batch_size".to_owned()),
                    retry_after: None,
                }));
                return;
            }
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let issued_at = (js_sys::Date::now() / 1000.0) as i64;
            match api::issue_teletan_batch(&csrf, requested).await {
                Ok(answer) => {
                    next_possible_at.set(
                        answer
                            .retry_after
                            .map(|seconds| js_sys::Date::now() + seconds as f64 * 1000.0),
                    );
                    cut.set(
                        answer
                            .retry_after
                            .map(|_| (answer.teletans.len(), answer.requested)),
                    );
                    hidden.set(false);
                    batch.set(Some(Sheet {
                        answer,
                        issued_at,
                        shown_at: js_sys::Date::now(),
                    }));
                }
                Err(failure) => match failure.retry_after() {
                    Some(seconds) if failure.status() == Some(429) => {
                        cut.set(None);
                        next_possible_at.set(Some(js_sys::Date::now() + seconds as f64 * 1000.0));
                    }
                    _ => error.set(Some(failure)),
                },
            }
            busy.set(false);
        });
    };

    let csv = move |_| {
        let Some(Sheet {
            answer, issued_at, ..
        }) = batch.get_untracked()
        else {
            return;
        };
        let mut text = String::from("number,teletan,issued_at,valid_until\r\n");
        for (index, teletan) in answer.teletans.iter().enumerate() {
            text.push_str(&format!(
                "{},{},{},{}\r\n",
                index + 1,
                teletan.value,
                utc_rfc3339(issued_at),
                utc_rfc3339(teletan.expires_at)
            ));
        }
        let stamp = utc_rfc3339(issued_at).replace(':', "-");
        let _ = download(&format!("teletans-{stamp}.csv"), "text/csv", &text);
    };
    let print = move |_| {
        let _ = window().print();
    };

    let title = tr("teleTAN-Stapel", "teleTAN batch");
    let count_label = tr("Anzahl (1–50)", "How many (1–50)");
    let issue_label = tr("Stapel ausgeben", "Issue batch");
    let print_label = tr("Drucken", "Print");
    let csv_label = tr("CSV herunterladen", "Download CSV");
    let sheet_title = tr("teleTAN-Bogen", "teleTAN sheet");
    let col_number = tr("Nr.", "No.");
    let col_valid = tr("Gültig bis", "Valid until");
    let hidden_note = tr(
        "Der teleTAN-Bogen wurde nach 10 Minuten ausgeblendet.",
        "The teleTAN sheet was hidden after 10 minutes.",
    );

    let limit_note = move || {
        let seconds = wait()?;
        let lang = lang.get();
        let cut = cut.get();
        let at = when((next_possible_at.get()? / 1000.0) as i64, lang, Shown::Time);
        Some(match (cut, lang) {
            (Some((issued, requested)), Lang::De) => format!(
                "Nur {issued} von {requested} teleTANs ausgegeben: das stündliche Limit ist erreicht. Die nächste teleTAN ist in {seconds} Sekunden möglich (um {at})."
            ),
            (Some((issued, requested)), Lang::En) => format!(
                "Only {issued} of {requested} teleTANs issued: the hourly limit is reached. The next teleTAN is possible in {seconds} seconds (at {at})."
            ),
            (None, Lang::De) => {
                format!("Der nächste Stapel ist in {seconds} Sekunden möglich (um {at}).")
            }
            (None, Lang::En) => {
                format!("The next batch is possible in {seconds} seconds (at {at}).")
            }
        })
    };

    view! {
        <section class="card no-print" aria-labelledby="batch-title">
            <h2 id="batch-title">{title}</h2>
            <form class="form form--inline" on:submit=submit>
                <label for="teletan-batch-count">{count_label}</label>
                <input id="teletan-batch-count" type="number" min="1" max=MAX_TELETAN_BATCH.to_string()
                    required prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || busy.get() || wait().is_some()>{issue_label}</button>
            </form>
            <ErrorLine error=error />
            {move || limit_note().map(|text| view! {
                <p class="alert alert--info" role="status" id="teletan-batch-limit">{text}</p>
            })}
            <Show when=move || batch.with(Option::is_some)>
                <p class="actions">
                    <button class="button" on:click=print>{print_label}</button>
                    <button class="button" on:click=csv>{csv_label}</button>
                </p>
            </Show>
            <Show when=move || hidden.get()>
                <p class="alert alert--info" role="status" id="teletan-sheet-hidden">{hidden_note}</p>
            </Show>
        </section>
        {move || batch.get().map(|Sheet { answer, issued_at, shown_at }| {
            let countdown = move || {
                let seconds = seconds_left(shown_at, now.get()).unwrap_or(0.0) as u32;
                let (minutes, rest) = (seconds / 60, seconds % 60);
                match lang.get() {
                    Lang::De => format!("Noch {minutes}:{rest:02} Minuten sichtbar"),
                    Lang::En => format!("Visible for {minutes}:{rest:02} more minutes"),
                }
            };
            let lang_now = lang.get();
            let issued = when(issued_at, lang_now, Shown::DateTime);
            let heading = match lang_now {
                Lang::De => format!("{} – {} teleTANs, ausgegeben am {issued}", sheet_title(), answer.teletans.len()),
                Lang::En => format!("{} – {} teleTANs, issued on {issued}", sheet_title(), answer.teletans.len()),
            };
            // The validity in plain words: until when, and how long that is.
            let validity = answer.teletans.iter().map(|teletan| teletan.expires_at).min().map(|until| {
                let minutes = ((until - issued_at).max(0) + 59) / 60;
                let span = match (minutes, lang_now) {
                    (60, Lang::De) => "1 Stunde".to_owned(),
                    (60, Lang::En) => "1 hour".to_owned(),
                    (minutes, Lang::De) if minutes % 60 == 0 => format!("{} Stunden", minutes / 60),
                    (minutes, Lang::En) if minutes % 60 == 0 => format!("{} hours", minutes / 60),
                    (minutes, Lang::De) => format!("{minutes} Minuten"),
                    (minutes, Lang::En) => format!("{minutes} minutes"),
                };
                let until = when(until, lang_now, Shown::Time);
                match lang_now {
                    Lang::De => format!("Diese teleTANs gelten nur {span}, bis {until} Uhr. Danach bitte neue ausgeben."),
                    Lang::En => format!("These teleTANs are valid for {span} only, until {until}. After that, please issue new ones."),
                }
            });
            let rows = answer.teletans.iter().enumerate().map(|(index, teletan)| view! {
                <tr>
                    <td>{index + 1}</td>
                    <td class="teletan-sheet__value">{grouped(&teletan.value)}</td>
                    <td>{when(teletan.expires_at, lang_now, Shown::Time)}</td>
                </tr>
            }).collect_view();
            view! {
                <section class="card teletan-sheet" aria-labelledby="sheet-title">
                    <h2 id="sheet-title">{heading}</h2>
                    <p class="teletan-sheet__validity" id="teletan-sheet-validity">{validity}</p>
                    <p class="teletan__countdown no-print" role="timer" id="teletan-sheet-countdown">{countdown}</p>
                    <table class="table" id="teletan-sheet">
                        <thead><tr>
                            <th scope="col">{col_number}</th>
                            <th scope="col">"teleTAN"</th>
                            <th scope="col">{col_valid}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </section>
            }
        })}
    }
}
