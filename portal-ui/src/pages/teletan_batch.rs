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
use crate::session::{SessionState, use_session};

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

/// The batch form's state: the count typed, the sheet on screen, how the
/// last batch was cut short by the hourly limit, whether a sheet was hidden
/// after its ten minutes, the failure, when the next batch (or teleTAN) is
/// possible, and the clock the countdowns read.
#[derive(Clone, Copy)]
struct BatchState {
    session: RwSignal<SessionState>,
    count: RwSignal<String>,
    batch: RwSignal<Option<Sheet>>,
    /// (issued, requested) when the hourly limit cut the last batch short;
    /// kept apart from the sheet, which is forgotten after ten minutes.
    cut: RwSignal<Option<(usize, u32)>>,
    hidden: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    /// Milliseconds (`Date.now()`) from which the next batch is possible.
    next_possible_at: RwSignal<Option<f64>>,
    busy: RwSignal<bool>,
    /// Milliseconds (`Date.now()`), updated every second.
    now: RwSignal<f64>,
}

impl BatchState {
    /// Ten teleTANs proposed, nothing issued yet.
    fn new() -> Self {
        Self {
            session: use_session(),
            count: RwSignal::new(String::from("10")),
            batch: RwSignal::new(None),
            cut: RwSignal::new(None),
            hidden: RwSignal::new(false),
            error: RwSignal::new(None),
            next_possible_at: RwSignal::new(None),
            busy: RwSignal::new(false),
            now: RwSignal::new(js_sys::Date::now()),
        }
    }

    /// Ticks every second while the form is on the page: the countdowns,
    /// and the sheet's end (hidden and forgotten once its time is up).
    fn start_clock(self) {
        let tick = move || {
            let at = js_sys::Date::now();
            self.now.set(at);
            let over = self.batch.with_untracked(|sheet| {
                sheet
                    .as_ref()
                    .is_some_and(|sheet| seconds_left(sheet.shown_at, at).is_none())
            });
            if over {
                self.batch.set(None);
                self.hidden.set(true);
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    }

    /// Seconds until the next batch is possible, while there are any.
    fn wait(self) -> Option<f64> {
        self.next_possible_at
            .get()
            .map(|at| ((at - self.now.get()) / 1000.0).ceil())
            .filter(|seconds| *seconds > 0.0)
    }

    /// Issues a batch of the typed size (1 to [`MAX_TELETAN_BATCH`], else a
    /// problem is shown and nothing is sent). A batch the limits refused
    /// entirely only sets the wait; one cut short is shown with the note.
    fn issue(self) {
        let Some(csrf) = self.session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let requested = match self.count.get_untracked().trim().parse::<u32>() {
            Ok(n) if (1..=MAX_TELETAN_BATCH).contains(&n) => n,
            _ => {
                self.error.set(Some(ApiError::Status {
                    status: 400,
                    message: Some(format!("1 – {MAX_TELETAN_BATCH}")),
                    code: Some("batch_size".to_owned()),
                    retry_after: None,
                }));
                return;
            }
        };
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            let issued_at = (js_sys::Date::now() / 1000.0) as i64;
            match api::issue_teletan_batch(&csrf, requested).await {
                Ok(answer) => self.show(answer, issued_at),
                Err(failure) => match failure.retry_after() {
                    Some(seconds) if failure.status() == Some(429) => {
                        self.cut.set(None);
                        self.next_possible_at
                            .set(Some(js_sys::Date::now() + seconds as f64 * 1000.0));
                    }
                    _ => self.error.set(Some(failure)),
                },
            }
            self.busy.set(false);
        });
    }

    /// Shows the issued batch (requested at `issued_at`) as the sheet, with
    /// the hourly limit's wait and cut when it stopped the batch short.
    fn show(self, answer: TeleTanBatch, issued_at: i64) {
        self.next_possible_at.set(
            answer
                .retry_after
                .map(|seconds| js_sys::Date::now() + seconds as f64 * 1000.0),
        );
        self.cut.set(
            answer
                .retry_after
                .map(|_| (answer.teletans.len(), answer.requested)),
        );
        self.hidden.set(false);
        self.batch.set(Some(Sheet {
            answer,
            issued_at,
            shown_at: js_sys::Date::now(),
        }));
    }

    /// Downloads the sheet on screen as CSV (nothing once it is hidden).
    fn download_csv(self) {
        let Some(Sheet {
            answer, issued_at, ..
        }) = self.batch.get_untracked()
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
    }

    /// What the limits say while a wait runs: how many teleTANs the hourly
    /// limit let through, and when the next batch (or teleTAN) is possible.
    fn limit_note(self, lang: Lang) -> Option<String> {
        let seconds = self.wait()?;
        let cut = self.cut.get();
        let at = when(
            (self.next_possible_at.get()? / 1000.0) as i64,
            lang,
            Shown::Time,
        );
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
    }
}

/// The batch card (the size, the button that issues, the limits' notes,
/// print and CSV, the note that a sheet was hidden), then the sheet itself.
#[component]
fn BatchForm() -> impl IntoView {
    let lang = use_lang();
    let state = BatchState::new();
    state.start_clock();
    let BatchState {
        count,
        batch,
        hidden,
        error,
        busy,
        now,
        ..
    } = state;
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        state.issue();
    };
    let print = move |_| {
        let _ = window().print();
    };
    let title = tr("teleTAN-Stapel", "teleTAN batch");
    let count_label = tr("Anzahl (1–50)", "How many (1–50)");
    let issue_label = tr("Stapel ausgeben", "Issue batch");
    let print_label = tr("Drucken", "Print");
    let csv_label = tr("CSV herunterladen", "Download CSV");
    let hidden_note = tr(
        "Der teleTAN-Bogen wurde nach 10 Minuten ausgeblendet.",
        "The teleTAN sheet was hidden after 10 minutes.",
    );
    view! {
        <section class="card no-print" aria-labelledby="batch-title">
            <h2 id="batch-title">{title}</h2>
            <form class="form form--inline" on:submit=submit>
                <label for="teletan-batch-count">{count_label}</label>
                <input id="teletan-batch-count" type="number" min="1" max=MAX_TELETAN_BATCH.to_string()
                    required prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev)) />
                <button type="submit" disabled=move || busy.get() || state.wait().is_some()>{issue_label}</button>
            </form>
            <ErrorLine error=error />
            {move || state.limit_note(lang.get()).map(|text| view! {
                <p class="alert alert--info" role="status" id="teletan-batch-limit">{text}</p>
            })}
            <Show when=move || batch.with(Option::is_some)>
                <p class="actions">
                    <button class="button" on:click=print>{print_label}</button>
                    <button class="button" on:click=move |_| state.download_csv()>{csv_label}</button>
                </p>
            </Show>
            <Show when=move || hidden.get()>
                <p class="alert alert--info" role="status" id="teletan-sheet-hidden">{hidden_note}</p>
            </Show>
        </section>
        {move || batch.get().map(|sheet| sheet_view(sheet, now, lang))}
    }
}

/// The sheet to print: a heading with the count and the time of issue, the
/// validity in plain words, the countdown to its hiding (not printed) and
/// the table of teleTANs.
fn sheet_view(sheet: Sheet, now: RwSignal<f64>, lang: RwSignal<Lang>) -> impl IntoView {
    let Sheet {
        answer,
        issued_at,
        shown_at,
    } = sheet;
    let sheet_title = tr("teleTAN-Bogen", "teleTAN sheet");
    let col_number = tr("Nr.", "No.");
    let col_valid = tr("Gültig bis", "Valid until");
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
        Lang::De => format!(
            "{} – {} teleTANs, ausgegeben am {issued}",
            sheet_title(),
            answer.teletans.len()
        ),
        Lang::En => format!(
            "{} – {} teleTANs, issued on {issued}",
            sheet_title(),
            answer.teletans.len()
        ),
    };
    let validity = validity_text(&answer, issued_at, lang_now);
    let rows = answer
        .teletans
        .iter()
        .enumerate()
        .map(|(index, teletan)| {
            view! {
                <tr>
                    <td>{index + 1}</td>
                    <td class="teletan-sheet__value">{grouped(&teletan.value)}</td>
                    <td>{when(teletan.expires_at, lang_now, Shown::Time)}</td>
                </tr>
            }
        })
        .collect_view();
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
}

/// The validity in plain words: until when the first teleTAN to expire
/// holds, and how long that is from the time of issue.
fn validity_text(answer: &TeleTanBatch, issued_at: i64, lang: Lang) -> Option<String> {
    answer.teletans.iter().map(|teletan| teletan.expires_at).min().map(|until| {
        let minutes = ((until - issued_at).max(0) + 59) / 60;
        let span = match (minutes, lang) {
            (60, Lang::De) => "1 Stunde".to_owned(),
            (60, Lang::En) => "1 hour".to_owned(),
            (minutes, Lang::De) if minutes % 60 == 0 => format!("{} Stunden", minutes / 60),
            (minutes, Lang::En) if minutes % 60 == 0 => format!("{} hours", minutes / 60),
            (minutes, Lang::De) => format!("{minutes} Minuten"),
            (minutes, Lang::En) => format!("{minutes} minutes"),
        };
        let until = when(until, lang, Shown::Time);
        match lang {
            Lang::De => format!("Diese teleTANs gelten nur {span}, bis {until} Uhr. Danach bitte neue ausgeben."),
            Lang::En => format!("These teleTANs are valid for {span} only, until {until}. After that, please issue new ones."),
        }
    })
}
