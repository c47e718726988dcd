//! `/lab` (lab users): one result by form, or many from a CSV file. The
//! GUID is hashed in the page by `shared` (as a phone hashes it); only the
//! hash is sent. A CSV file is checked line by line before anything is
//! sent, then sent in batches of at most 1,000 with a progress bar; the
//! receipt (one line per result, with what happened to it) is downloaded
//! from the page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::lab_csv::{self, FileError, Row, RowError};
use shared::portal::Role;
use shared::verification::wire::{LabResultsRequest, LabTestResult, MAX_LAB_RESULTS_PER_REQUEST};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::download::{csv_field, download};
use crate::components::error_line::ErrorLine;
use crate::components::protected::Protected;
use crate::components::time::utc_rfc3339;
use crate::i18n::{Lang, tr, use_lang};
use crate::session::use_session;

/// Error rows shown in the preview (the receipt has all of them).
const SHOWN_ERRORS: usize = 100;
/// Lines of the preview.
const PREVIEW: usize = 10;

/// The lab page.
#[component]
pub fn LabPage() -> impl IntoView {
    view! {
        <Protected roles=&[Role::Lab]>
            <SingleResult />
            <CsvUpload />
        </Protected>
    }
}

fn result_name(code: u8, lang: Lang) -> &'static str {
    match code {
        1 => lang.pick("negativ", "negative"),
        2 => lang.pick("positiv", "positive"),
        3 => lang.pick("ungültig", "invalid"),
        _ => "?",
    }
}

fn row_error(error: &RowError, lang: Lang) -> String {
    match (error, lang) {
        (_, Lang::En) => error.to_string(),
        (RowError::Malformed(detail), Lang::De) => format!("kein lesbares CSV: {detail}"),
        (RowError::MissingGuid, Lang::De) => "die GUID fehlt".into(),
        (RowError::InvalidGuid, Lang::De) => {
            "die GUID enthält Leerzeichen oder nicht druckbare Zeichen oder ist länger als 128 Zeichen".into()
        }
        (RowError::DuplicateGuid(line), Lang::De) => format!("dieselbe GUID wie Zeile {line}"),
        (RowError::InvalidResult(text), Lang::De) => {
            format!("Ergebnis {text:?} ist nicht 1/negativ, 2/positiv oder 3/ungültig")
        }
        (RowError::InvalidSampleTime(text), Lang::De) => format!(
            "Probenzeit {text:?} ist weder Unix-Sekunden noch RFC 3339 (2026-11-28T09:30:00Z)"
        ),
        (RowError::TooManyColumns, Lang::De) => "mehr als drei Spalten".into(),
    }
}

/// Unix seconds of a `datetime-local` value, read in the browser's time zone.
fn local_input_seconds(value: &str) -> Option<i64> {
    let millis = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
    (millis.is_finite() && millis >= 0.0).then(|| (millis / 1000.0).floor() as i64)
}

#[component]
fn SingleResult() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let guid = RwSignal::new(String::new());
    let result = RwSignal::new(String::from("2"));
    let sample_time = RwSignal::new(String::new());
    // (success, text) of the last attempt.
    let status = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let lang = lang.get_untracked();
        let hashed = match lab_csv::hash_guid(&guid.get_untracked()) {
            Ok(hashed) => hashed,
            Err(error) => {
                status.set(Some((false, row_error(&error, lang))));
                return;
            }
        };
        let code = match lab_csv::parse_result(&result.get_untracked()) {
            Ok(code) => code.code(),
            Err(error) => {
                status.set(Some((false, row_error(&error, lang))));
                return;
            }
        };
        let time_text = sample_time.get_untracked();
        let sc = if time_text.trim().is_empty() {
            None
        } else if let Some(seconds) = local_input_seconds(&time_text) {
            Some(seconds)
        } else {
            status.set(Some((
                false,
                lang.pick(
                    "Die Probenzeit ist ungültig.",
                    "The sample time is invalid.",
                )
                .to_owned(),
            )));
            return;
        };
        let request = LabResultsRequest {
            lab_id: None,
            test_results: vec![LabTestResult {
                id: hashed.expose().to_owned(),
                result: code,
                sc,
            }],
        };
        busy.set(true);
        status.set(None);
        spawn_local(async move {
            match api::upload_lab_results(&csrf, &request).await {
                Ok(_) => {
                    let text = match lang {
                        Lang::De => format!("Gespeichert: {}.", result_name(code, lang)),
                        Lang::En => format!("Stored: {}.", result_name(code, lang)),
                    };
                    status.set(Some((true, text)));
                    // Ready for the next sample; result and time stay.
                    guid.set(String::new());
                }
                // The form keeps everything that was typed.
                Err(failure) => status.set(Some((false, failure.describe(lang)))),
            }
            busy.set(false);
        });
    };

    let title = tr("Ein Ergebnis melden", "Report one result");
    let guid_label = tr("GUID der Probe", "Sample GUID");
    let guid_hint = tr(
        "Die GUID wird hier im Browser gehasht; nur der Hash wird gesendet.",
        "The GUID is hashed here in the browser; only the hash is sent.",
    );
    let result_label = tr("Ergebnis", "Result");
    let time_label = tr("Zeit der Probenahme (optional)", "Sample time (optional)");
    let submit_label = tr("Ergebnis senden", "Send result");
    view! {
        <section class="card" aria-labelledby="lab-title">
            <h1 id="lab-title">{title}</h1>
            <form class="form" on:submit=submit>
                <label for="lab-guid">{guid_label}</label>
                <input id="lab-guid" type="text" required autocomplete="off" spellcheck="false"
                    aria-describedby="lab-guid-hint"
                    prop:value=move || guid.get()
                    on:input=move |ev| guid.set(event_target_value(&ev)) />
                <p id="lab-guid-hint" class="hint">{guid_hint}</p>
                <label for="lab-result">{result_label}</label>
                <select id="lab-result" prop:value=move || result.get()
                    on:change=move |ev| result.set(event_target_value(&ev))>
                    {[1_u8, 2, 3].into_iter().map(|code| view! {
                        <option value=code.to_string() selected=move || result.get() == code.to_string()>
                            {move || result_name(code, lang.get())}
                        </option>
                    }).collect_view()}
                </select>
                <label for="lab-sample-time">{time_label}</label>
                <input id="lab-sample-time" type="datetime-local"
                    prop:value=move || sample_time.get()
                    on:input=move |ev| sample_time.set(event_target_value(&ev)) />
                <button id="lab-submit" type="submit" disabled=move || busy.get()>{submit_label}</button>
            </form>
            <p id="lab-status" role="status" aria-live="polite"
                class=move || match status.get() {
                    Some((true, _)) => "alert alert--info",
                    Some((false, _)) => "alert alert--error",
                    None => "lab-status--empty",
                }>
                {move || status.get().map(|(_, text)| text)}
            </p>
        </section>
    }
}

/// What happened to one line when it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Delivery {
    Waiting,
    Stored,
    Failed(String),
}

#[component]
fn CsvUpload() -> impl IntoView {
    let session = use_session();
    let lang = use_lang();
    let file_name = RwSignal::new(String::new());
    let parsed = RwSignal::new(None::<Result<Vec<Row>, FileError>>);
    let sent = RwSignal::new(Vec::<Delivery>::new());
    let progress = RwSignal::new((0_usize, 0_usize));
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let received_at = RwSignal::new(None::<i64>);

    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        file_name.set(file.name());
        parsed.set(None);
        sent.set(Vec::new());
        progress.set((0, 0));
        error.set(None);
        received_at.set(None);
        spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default();
            let rows = lab_csv::parse(&text);
            if let Ok(rows) = &rows {
                sent.set(vec![Delivery::Waiting; rows.len()]);
            }
            parsed.set(Some(rows));
        });
    };

    let errors = move || {
        parsed.with(|parsed| match parsed {
            Some(Ok(rows)) => rows.iter().filter(|row| row.outcome.is_err()).count(),
            _ => 0,
        })
    };
    let total = move || {
        parsed.with(|parsed| {
            parsed
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .map_or(0, Vec::len)
        })
    };

    let send_all = move |_| {
        let Some(csrf) = session.with_untracked(|state| state.csrf()) else {
            return;
        };
        let Some(Ok(rows)) = parsed.get_untracked() else {
            return;
        };
        if rows.iter().any(|row| row.outcome.is_err()) {
            return;
        }
        let results: Vec<LabTestResult> = rows
            .into_iter()
            .filter_map(|row| row.outcome.ok())
            .collect();
        sending.set(true);
        error.set(None);
        progress.set((0, results.len()));
        spawn_local(async move {
            let mut done = 0;
            for batch in results.chunks(MAX_LAB_RESULTS_PER_REQUEST) {
                let request = LabResultsRequest {
                    lab_id: None,
                    test_results: batch.to_vec(),
                };
                match api::upload_lab_results(&csrf, &request).await {
                    Ok(receipt) => {
                        sent.update(|sent| {
                            for state in sent.iter_mut().skip(done).take(batch.len()) {
                                *state = Delivery::Stored;
                            }
                        });
                        received_at.set(Some(receipt.received_at));
                        done += batch.len();
                        progress.set((done, results.len()));
                    }
                    Err(failure) => {
                        let text = failure.describe(lang.get_untracked());
                        sent.update(|sent| {
                            for state in sent.iter_mut().skip(done).take(batch.len()) {
                                *state = Delivery::Failed(text.clone());
                            }
                        });
                        error.set(Some(failure));
                        break;
                    }
                }
            }
            sending.set(false);
        });
    };

    let receipt = move |_| {
        let Some(Ok(rows)) = parsed.get_untracked() else {
            return;
        };
        let states = sent.get_untracked();
        let mut text = String::from("line,hashed_guid,result,sample_time,status\r\n");
        for (row, state) in rows.iter().zip(states.iter()) {
            let (id, result, sc) = match &row.outcome {
                Ok(item) => (
                    item.id.clone(),
                    item.result.to_string(),
                    item.sc.map(utc_rfc3339).unwrap_or_default(),
                ),
                Err(_) => (String::new(), String::new(), String::new()),
            };
            let status = match (state, &row.outcome) {
                (_, Err(error)) => format!("invalid: {error}"),
                (Delivery::Stored, _) => "stored".to_owned(),
                (Delivery::Waiting, _) => "not sent".to_owned(),
                (Delivery::Failed(reason), _) => format!("failed: {reason}"),
            };
            text.push_str(&format!(
                "{},{},{},{},{}\r\n",
                row.line,
                id,
                result,
                sc,
                csv_field(&status)
            ));
        }
        let stamp = received_at
            .get_untracked()
            .map(utc_rfc3339)
            .unwrap_or_default()
            .replace(':', "-");
        let _ = download(&format!("receipt-{stamp}.csv"), "text/csv", &text);
    };

    let title = tr(
        "Viele Ergebnisse aus einer CSV-Datei",
        "Many results from a CSV file",
    );
    let format_note = tr(
        "Spalten: GUID, Ergebnis (1/negativ, 2/positiv, 3/ungültig), Probenzeit (optional: Unix-Sekunden oder 2026-11-28T09:30:00Z). Trennzeichen Komma oder Semikolon; eine Kopfzeile mit „guid“ wird übersprungen. Die GUIDs werden hier gehasht.",
        "Columns: GUID, result (1/negative, 2/positive, 3/invalid), sample time (optional: unix seconds or 2026-11-28T09:30:00Z). Comma or semicolon; a header line starting with “guid” is skipped. The GUIDs are hashed here.",
    );
    let file_label = tr("CSV-Datei", "CSV file");
    let send_label = tr("Ergebnisse senden", "Send results");
    let receipt_label = tr("Quittung herunterladen (CSV)", "Download receipt (CSV)");
    let progress_label = tr("Fortschritt", "Progress");
    let col_line = tr("Zeile", "Line");
    let col_result = tr("Ergebnis", "Result");
    let col_time = tr("Probenzeit (UTC)", "Sample time (UTC)");
    let col_problem = tr("Fehler", "Problem");
    let preview_title = tr("Vorschau", "Preview");
    let errors_title = tr("Fehlerhafte Zeilen", "Lines with errors");

    let summary = move || {
        let lang = lang.get();
        parsed.with(|parsed| {
            parsed.as_ref().map(|parsed| match parsed {
                Err(FileError::Empty) => (false, lang.pick("Die Datei enthält keine Ergebnisse.", "The file holds no results.").to_owned()),
                Err(FileError::TooLarge) => (false, match lang {
                    Lang::De => format!("Die Datei enthält mehr als {} Ergebnisse.", lab_csv::MAX_ROWS),
                    Lang::En => format!("The file holds more than {} results.", lab_csv::MAX_ROWS),
                }),
                Ok(rows) => {
                    let bad = rows.iter().filter(|row| row.outcome.is_err()).count();
                    let text = match (lang, bad) {
                        (Lang::De, 0) => format!("{} Ergebnisse gelesen, alle gültig.", rows.len()),
                        (Lang::En, 0) => format!("{} results read, all valid.", rows.len()),
                        (Lang::De, bad) => format!("{} Zeilen gelesen, {bad} fehlerhaft: bitte die Datei korrigieren und neu wählen. Nichts wurde gesendet.", rows.len()),
                        (Lang::En, bad) => format!("{} lines read, {bad} with errors: please correct the file and choose it again. Nothing was sent.", rows.len()),
                    };
                    (bad == 0, text)
                }
            })
        })
    };

    let error_rows = move || {
        let lang = lang.get();
        parsed.with(|parsed| {
            let Some(Ok(rows)) = parsed else {
                return Vec::new();
            };
            rows.iter()
                .filter_map(|row| {
                    row.outcome
                        .as_ref()
                        .err()
                        .map(|error| (row.line, row_error(error, lang)))
                })
                .take(SHOWN_ERRORS)
                .collect::<Vec<_>>()
        })
    };
    let preview_rows = move || {
        parsed.with(|parsed| {
            let Some(Ok(rows)) = parsed else {
                return Vec::new();
            };
            rows.iter()
                .take(PREVIEW)
                .filter_map(|row| {
                    row.outcome
                        .as_ref()
                        .ok()
                        .map(|item| (row.line, item.result, item.sc))
                })
                .collect::<Vec<_>>()
        })
    };
    let progress_text = move || {
        let (done, all) = progress.get();
        match lang.get() {
            Lang::De => format!("{done} von {all} gesendet"),
            Lang::En => format!("{done} of {all} sent"),
        }
    };

    view! {
        <section class="card" aria-labelledby="lab-csv-title">
            <h2 id="lab-csv-title">{title}</h2>
            <p class="hint">{format_note}</p>
            <div class="form">
                <label for="lab-csv">{file_label}</label>
                <input id="lab-csv" type="file" accept=".csv,text/csv,text/plain" on:change=choose
                    disabled=move || sending.get() />
            </div>
            {move || summary().map(|(ok, text)| view! {
                <p id="lab-csv-summary" class={if ok { "alert alert--info" } else { "alert alert--error" }}
                    role={if ok { "status" } else { "alert" }}>{text}</p>
            })}
            <Show when=move || !error_rows().is_empty()>
                <table class="table" id="lab-csv-errors">
                    <caption>{errors_title}</caption>
                    <thead><tr><th scope="col">{col_line}</th><th scope="col">{col_problem}</th></tr></thead>
                    <tbody>
                        {move || error_rows().into_iter().map(|(line, text)| view! {
                            <tr><td>{line}</td><td>{text}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <Show when=move || !preview_rows().is_empty()>
                <table class="table" id="lab-csv-preview">
                    <caption>{preview_title} " (" {file_name} ", " {total} ")"</caption>
                    <thead><tr>
                        <th scope="col">{col_line}</th>
                        <th scope="col">{col_result}</th>
                        <th scope="col">{col_time}</th>
                    </tr></thead>
                    <tbody>
                        {move || preview_rows().into_iter().map(|(line, result, sc)| view! {
                            <tr>
                                <td>{line}</td>
                                <td>{move || result_name(result, lang.get())}</td>
                                <td>{sc.map(utc_rfc3339).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <Show when=move || { total() > 0 }>
                <div class="upload">
                    <button id="lab-csv-send" class="button button--primary" on:click=send_all
                        disabled={move || sending.get() || errors() != 0 || progress.get().0 == total()}>
                        {send_label}
                    </button>
                    <label for="lab-csv-progress">{progress_label}</label>
                    <progress id="lab-csv-progress" max=move || progress.get().1.max(1).to_string()
                        value=move || progress.get().0.to_string()>{progress_text}</progress>
                    <p id="lab-csv-progress-text" role="status" aria-live="polite">{progress_text}</p>
                    <ErrorLine error=error />
                    <button id="lab-csv-receipt" class="button" on:click=receipt
                        disabled=move || sending.get() || progress.get().1 == 0>
                        {receipt_label}
                    </button>
                </div>
            </Show>
        </section>
    }
}
